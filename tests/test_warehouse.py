import subprocess
import sys
import time

import pytest

from hk_market import warehouse

HOLD_LOCK = """
import duckdb, sys, time
con = duckdb.connect(sys.argv[1])
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
"""


def hold_lock(path, seconds: float) -> subprocess.Popen:
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(path), str(seconds)], stdout=subprocess.PIPE,
                              text=True)
    assert holder.stdout.readline().strip() == "locked"
    return holder


def test_a_writer_waits_for_another_process_to_release_the_warehouse(scratch_warehouse, caplog):
    scratch_warehouse.parent.mkdir(parents=True)
    holder = hold_lock(scratch_warehouse, 1.5)
    started = time.monotonic()
    with warehouse.connect(scratch_warehouse, wait_seconds=30) as con:
        assert con.execute("select 1").fetchone() == (1,)
    holder.wait()
    assert time.monotonic() - started >= 0.5
    assert "locked by another process" in caplog.text


def test_a_writer_that_waits_too_long_fails_naming_the_warehouse(scratch_warehouse):
    scratch_warehouse.parent.mkdir(parents=True)
    holder = hold_lock(scratch_warehouse, 5)
    try:
        with pytest.raises(warehouse.WarehouseBusyError, match=str(scratch_warehouse)):
            with warehouse.connect(scratch_warehouse, wait_seconds=0.5):
                pass
    finally:
        holder.kill()


def test_queries_draw_no_progress_bar_into_the_logs(scratch_warehouse):
    # DuckDB draws one for any query over 2 s (a mart rebuild, a publish) unless told not to.
    with warehouse.connect(scratch_warehouse) as con:
        assert con.execute("select current_setting('enable_progress_bar')").fetchone() == (False,)


def test_the_ddl_runs_again_only_when_it_changed(tmp_path, monkeypatch):
    path = tmp_path / "hk_market.duckdb"
    with warehouse.connect(path) as con:
        warehouse.ensure_schema(con)
        applied = con.execute("select * from audit.schema_version").fetchall()
        con.execute("alter table raw.prices drop column turnover_estimated")  # as in a warehouse of an older DDL
        warehouse.ensure_schema(con)
        assert con.execute("select * from audit.schema_version").fetchall() == applied  # same DDL: not run
        scripts, digest = warehouse._ddl()
        monkeypatch.setattr(warehouse, "_ddl", lambda: (scripts, "a newer digest"))
        warehouse.ensure_schema(con)  # a new DDL runs, and adds the column back
        assert "turnover_estimated" in {name for (name,) in con.execute(
            "select column_name from duckdb_columns() where table_name = 'prices' and schema_name = 'raw'").fetchall()}
        assert con.execute("select ddl_sha256 from audit.schema_version").fetchall() == [("a newer digest",)]
