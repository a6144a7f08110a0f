"""DuckDB's extensions come from their pinned wheels, loaded by path: nothing is downloaded, and a missing
wheel fails naming the package to install."""

import sys

import duckdb
import pytest

from hk_market import extensions


@pytest.mark.parametrize("name", ["ducklake", "postgres_scanner", "motherduck"])
def test_each_extension_is_a_file_of_its_wheel_for_the_pinned_duckdb(name):
    path = extensions.path(name)
    assert duckdb.__version__ == "1.5.5"
    assert path.parts[-3:] == ("extensions", "v1.5.5", f"{name}.duckdb_extension")
    assert "site-packages" in path.parts and path.stat().st_size > 0


def test_ducklake_and_postgres_scanner_load_from_their_wheels_with_downloads_off():
    con = duckdb.connect(config=extensions.NO_DOWNLOAD)
    extensions.load(con, "ducklake", "postgres_scanner")
    loaded = dict(con.execute("select extension_name, install_path from duckdb_extensions() where loaded").fetchall())
    assert {"ducklake", "postgres_scanner"} <= set(loaded)
    settings = dict(con.execute("select name, value from duckdb_settings() where name like 'auto%_known_extensions'")
                    .fetchall())
    assert settings == {"autoinstall_known_extensions": "false", "autoload_known_extensions": "false"}


def test_a_missing_wheel_fails_naming_the_package_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "duckdb_extension_ducklake", None)  # as if it were not installed
    with pytest.raises(extensions.ExtensionMissing, match=r"install duckdb-extension-ducklake==1\.5\.5"):
        extensions.path("ducklake")


def test_without_its_extension_loaded_a_lake_is_not_fetched_but_refused():
    con = duckdb.connect(config=extensions.NO_DOWNLOAD)
    with pytest.raises(duckdb.Error, match="ducklake"):
        con.execute("attach 'ducklake:postgres:dbname=nowhere host=127.0.0.1' as lake")
