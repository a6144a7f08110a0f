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

    def has_quarantine_macro(con) -> bool:
        return con.execute("select count(*) from duckdb_tables() where schema_name = 'audit' "
                           "and table_name = 'quarantine_macro'").fetchone() == (1,)

    with warehouse.connect(path) as con:
        warehouse.ensure_schema(con)
        applied = con.execute("select * from audit.schema_version").fetchall()
        con.execute("drop table audit.quarantine_macro")
        warehouse.ensure_schema(con)
        assert con.execute("select * from audit.schema_version").fetchall() == applied  # same DDL: not run
        assert not has_quarantine_macro(con)
        scripts, digest = warehouse._ddl()
        monkeypatch.setattr(warehouse, "_ddl", lambda: (scripts, "a newer digest"))
        warehouse.ensure_schema(con)  # a new DDL runs, and creates the table again
        assert has_quarantine_macro(con)
        assert con.execute("select ddl_sha256 from audit.schema_version").fetchall() == [("a newer digest",)]
