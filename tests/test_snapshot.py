"""The analyst snapshot: what it holds, readers that never block a publish, and no partial file left behind."""

import datetime as dt
import socket
import subprocess
import sys
import time
from pathlib import Path

import duckdb

from hk_market import snapshot, warehouse

from .analyst_session import AnalystSession

DAY = dt.date(2024, 11, 14)


def a_warehouse_with_one_index_day(path, close: float = 19435.81) -> None:
    with warehouse.connect(path) as con:
        warehouse.ensure_schema(con)
        con.execute("delete from marts.market_summary")
        con.execute("insert into marts.market_summary (trade_date, index_code, close) values ($day, 'HSI', $close)",
                    {"day": DAY, "close": close})
        con.execute("insert into raw.southbound (trade_date, channel, buy_hkd, sell_hkd, source, run_id, loaded_at) "
                    "values ($day, 'SSE', 1, 1, 'sample', 'r', now())", {"day": DAY})


def test_the_snapshot_holds_marts_core_and_audit_with_their_comments_but_not_raw(scratch_warehouse):
    a_warehouse_with_one_index_day(scratch_warehouse)
    published = snapshot.publish(scratch_warehouse, scratch_warehouse.with_name("analyst.duckdb"))
    with duckdb.connect(str(published), read_only=True) as con:
        schemas = {row[0] for row in con.execute("select distinct schema_name from duckdb_tables()").fetchall()}
        assert schemas == {"marts", "core", "audit"}
        assert con.execute("select close from marts.market_summary").fetchall() == [(19435.81,)]
        uncommented = con.execute(
            "select count(*) from duckdb_columns() where schema_name = 'marts' and comment is null").fetchone()
        assert uncommented == (0,)
    assert sorted(path.name for path in published.parent.iterdir() if "analyst" in path.name) == ["analyst.duckdb"]


def test_a_reader_holding_the_snapshot_does_not_block_the_next_publish(scratch_warehouse):
    target = scratch_warehouse.with_name("analyst.duckdb")
    a_warehouse_with_one_index_day(scratch_warehouse, close=100.0)
    snapshot.publish(scratch_warehouse, target)
    with AnalystSession(target) as analyst:
        a_warehouse_with_one_index_day(scratch_warehouse, close=200.0)
        started = time.monotonic()
        snapshot.publish(scratch_warehouse, target)
        assert time.monotonic() - started < 5, "publishing waited for the reader"
        assert analyst.one("select close from marts.market_summary") == "100.0"  # the reader's copy stays whole
        with AnalystSession(target) as next_analyst:
            assert next_analyst.one("select close from marts.market_summary") == "200.0"


def test_the_next_publish_removes_partial_files_left_by_killed_publishes_but_not_a_running_ones(scratch_warehouse):
    target = scratch_warehouse.with_name("analyst.duckdb")
    a_warehouse_with_one_index_day(scratch_warehouse)
    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True,
                           check=True)
    running = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        def partial(pid: int, host: str = socket.gethostname()) -> Path:
            return target.with_name(f".{target.name}.{host}.{pid}.partial")

        killed = [partial(int(ended.stdout)), partial(int(ended.stdout)).with_name(
            partial(int(ended.stdout)).name + ".wal")]
        kept = [partial(running.pid), partial(int(ended.stdout), "another-host")]
        for path in killed + kept:
            path.write_bytes(b"\0" * 1024)

        snapshot.publish(scratch_warehouse, target)

        assert sorted(path.name for path in target.parent.iterdir() if "analyst" in path.name) == sorted(
            [target.name] + [path.name for path in kept])
    finally:
        running.kill()
        running.wait(timeout=30)
