"""The duckdb_default connection can name MotherDuck instead of a file (configuration only: no network here):
the pinned client's motherduck extension loads from its wheel, and offline the connection fails at once
naming the host it could not reach."""

import json
import os
import time

import duckdb
import pytest
from airflow.providers.duckdb.hooks.duckdb import DuckDBHook

from hk_market import extensions, settings, warehouse
from hk_market.airflow_glue.dag_defaults import use_airflow_warehouse

MOTHERDUCK = {"conn_type": "duckdb", "schema": "hk_market", "password": "md-test-token"}


def point_duckdb_default_at(monkeypatch, connection: dict) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_DUCKDB_DEFAULT", json.dumps(connection))
    monkeypatch.setenv("HK_MARKET_WAREHOUSE", "unchanged")  # restored after the test
    monkeypatch.delenv("motherduck_token", raising=False)


def test_a_motherduck_connection_resolves_to_an_md_database(monkeypatch):
    point_duckdb_default_at(monkeypatch, MOTHERDUCK)
    assert DuckDBHook().get_database() == "md:hk_market?motherduck_token=md-test-token"


def test_the_library_opens_the_motherduck_database_with_the_token_kept_out_of_its_name(monkeypatch):
    point_duckdb_default_at(monkeypatch, MOTHERDUCK)
    use_airflow_warehouse()
    assert str(settings.warehouse_path()) == "md:hk_market"
    assert os.environ["motherduck_token"] == "md-test-token"


def test_a_file_connection_still_names_the_warehouse_file(monkeypatch, tmp_path):
    point_duckdb_default_at(monkeypatch, {"conn_type": "duckdb", "host": str(tmp_path / "hk_market.duckdb")})
    use_airflow_warehouse()
    assert settings.warehouse_path() == tmp_path / "hk_market.duckdb"
    assert "motherduck_token" not in os.environ


def test_offline_opening_motherduck_fails_at_once_naming_the_host_it_could_not_reach(monkeypatch):
    point_duckdb_default_at(monkeypatch, MOTHERDUCK)
    use_airflow_warehouse()
    started = time.monotonic()
    with pytest.raises(warehouse.WarehouseUnavailable, match=r"cannot reach MotherDuck at api\.motherduck\.com"):
        with warehouse.connect():
            pass
    assert time.monotonic() - started < 10
    assert "md-test-token" not in os.environ.get("HK_MARKET_WAREHOUSE", "")


def test_the_pinned_motherduck_extension_loads_from_its_wheel_and_offline_names_the_host(monkeypatch):
    """DuckDB runs the wheel's extension (its init is what calls MotherDuck); offline that names the host."""
    monkeypatch.setenv("motherduck_token", "md-test-token")
    con = duckdb.connect(config=extensions.NO_DOWNLOAD)
    with pytest.raises(duckdb.Error) as failure:
        extensions.load(con, "motherduck")
    assert str(extensions.path("motherduck")) in str(failure.value)
    assert "api.motherduck.com" in str(failure.value)
