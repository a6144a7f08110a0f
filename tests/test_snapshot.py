"""The analyst snapshot: what it holds, readers that never block a publish, no partial file left behind, the
marts in readable types and the source of every session."""

import datetime as dt
import re
import socket
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from harlequin_duckdb import DuckDbAdapter
from textual_fastdatatable.format import display_text

from hk_market import backfill, snapshot, warehouse

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


@pytest.fixture(scope="module")
def sample_snapshot(tmp_path_factory) -> Path:
    """The snapshot of a sample run of three sessions."""
    scratch = tmp_path_factory.mktemp("sample-snapshot")
    with pytest.MonkeyPatch.context() as environment:
        environment.setenv("HK_MARKET_WAREHOUSE", str(scratch / "hk_market.duckdb"))
        environment.setenv("HK_MARKET_LANDING", str(scratch / "landing"))
        backfill.run("2024-11-12", "2024-11-14")
        yield snapshot.publish(scratch / "hk_market.duckdb", scratch / "hk_market_analyst.duckdb")


def columns(con, schema: str, table: str) -> dict[str, str]:
    return dict(con.execute("select column_name, data_type from duckdb_columns() "
                            "where schema_name = $schema and table_name = $table order by column_index",
                            {"schema": schema, "table": table}).fetchall())


def mart_tables(con) -> list[str]:
    return [row[0] for row in con.execute(
        "select table_name from duckdb_tables() where schema_name = 'marts' order by all").fetchall()]


def test_every_mart_has_a_readable_view_with_the_same_rows_rounded_to_fixed_places(sample_snapshot):
    with duckdb.connect(str(sample_snapshot), read_only=True) as con:
        for table in mart_tables(con):
            mart, view = columns(con, "marts", table), columns(con, "readable", table)
            assert view, f"marts.{table} has no view readable.{table} (include/sql/snapshot/)"
            # A money column in HK$ million says so in its name: turnover_hkd in HKD, turnover_hkd_m in HK$ m.
            source = {name: name.removesuffix("_m") if name.endswith("_hkd_m") else name for name in view}
            assert sorted(source.values()) == sorted(mart), f"readable.{table} lacks or adds columns"
            key = ", ".join(name for name, kind in mart.items() if kind != "DOUBLE")
            mart_rows = con.execute(f"select * from marts.{table} order by {key}").fetchall()
            view_rows = con.execute(f"select * from readable.{table} order by {key}").fetchall()
            assert len(view_rows) == len(mart_rows) > 0, table
            mart_index = {name: position for position, name in enumerate(mart)}
            for mart_row, view_row in zip(mart_rows, view_rows, strict=True):
                for name, value in zip(view, view_row, strict=True):
                    exact = mart_row[mart_index[source[name]]]
                    places = re.fullmatch(r"DECIMAL\(\d+,(\d+)\)", view[name])
                    if not places or value is None or exact is None:
                        assert value == exact, (table, name, view_row)
                        continue
                    scale = 1e6 if name.endswith("_hkd_m") else 1
                    assert abs(float(value) * scale - exact) <= 0.5 * 10 ** -int(places[1]) * scale * (1 + 1e-9), (
                        table, name, value, exact)


def test_the_readable_views_hold_no_floating_point_numbers(sample_snapshot):
    with duckdb.connect(str(sample_snapshot), read_only=True) as con:
        floating = con.execute("select table_name, column_name from duckdb_columns() where schema_name = 'readable' "
                               "and data_type in ('DOUBLE', 'FLOAT')").fetchall()
    assert floating == []


def test_harlequin_shows_readable_prices_and_money_with_every_place(sample_snapshot):
    """harlequin shows a mart's double with six significant digits (19435.8, 1.96600e+10); the views' decimals in
    full: an index level to 0.01, a stock price to 0.001, money in HK$ million to 0.01."""
    harlequin = DuckDbAdapter(conn_str=(str(sample_snapshot),), read_only=True, no_init=True).connect()
    shown = harlequin.execute("""
        select (select close from readable.market_summary where index_code = 'HSI' and trade_date = $1) as hsi,
               (select close from readable.movers_daily where direction = 'gainer' and rank = 1
                and trade_date = $1) as top_gainer,
               (select net_buy_hkd_m from readable.southbound_daily where channel = 'TOTAL' and trade_date = $1)
               as southbound_net_buy""".replace("$1", "date '2024-11-14'")).fetchall().to_pylist()[0]
    assert all(isinstance(value, Decimal) for value in shown.values())
    assert display_text(shown["hsi"]) == "19435.81"
    assert re.fullmatch(r"\d+\.\d{3}", display_text(shown["top_gainer"]))
    assert re.fullmatch(r"\d{5}\.\d{2}", display_text(shown["southbound_net_buy"]))


def test_every_session_of_a_sample_run_names_the_sample_and_its_run(sample_snapshot):
    with duckdb.connect(str(sample_snapshot), read_only=True) as con:
        sessions = con.execute("select trade_date, source, run_id from readable.sessions").fetchall()
        mart_days = [row[0] for row in con.execute(
            "select distinct trade_date from marts.security_daily order by all").fetchall()]
        runs = {row[0] for row in con.execute("select run_id from audit.runs").fetchall()}
    assert [row[0] for row in sessions] == mart_days
    assert {row[1] for row in sessions} == {"sample"}
    assert {row[2] for row in sessions} <= runs and None not in {row[2] for row in sessions}


def test_a_session_names_its_latest_load_and_the_sample_when_any_dataset_came_from_it(scratch_warehouse):
    a_warehouse_with_one_index_day(scratch_warehouse)
    earlier, later = DAY - dt.timedelta(days=1), DAY
    loads = [  # (run, source, dataset, session, loaded at)
        ("run-sample", "sample", "prices", earlier, "2024-11-13 18:00"),
        ("run-live", "live", "prices", earlier, "2024-11-14 18:00"),
        ("run-live", "live", "short_selling", earlier, "2024-11-14 18:00"),
        ("run-live", "live", "prices", later, "2024-11-14 18:00"),
        ("run-sample", "sample", "short_selling", later, "2024-11-14 19:00"),
    ]
    with warehouse.connect(scratch_warehouse) as con:
        con.execute("insert into marts.market_summary (trade_date, index_code, close) values ($day, 'HSI', 1)",
                    {"day": earlier})
        for run_id, source, dataset, session, loaded_at in loads:
            con.execute("insert into audit.runs values ($run, $day, $day, $source, $dataset, 1, $at::timestamp)",
                        {"run": run_id, "day": session, "source": source, "dataset": dataset, "at": loaded_at})
    published = snapshot.publish(scratch_warehouse, scratch_warehouse.with_name("analyst.duckdb"))
    with duckdb.connect(str(published), read_only=True) as con:
        sessions = con.execute("select trade_date, source, run_id, strftime(loaded_at, '%H:%M') "
                               "from readable.sessions").fetchall()
    assert sessions == [(earlier, "live", "run-live", "18:00"), (later, "sample", "run-sample", "19:00")]
