"""The warehouse on a DuckLake (Postgres catalog on 127.0.0.1, Parquet under a directory): the same pipeline
and SQL give the same marts as a DuckDB file; writers in different processes commit at once; a reader attached
read-only sees whole days only; the Postgres password never shows."""

import datetime as dt
import logging
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from hk_market import calendar, pipeline, settings, snapshot, warehouse
from hk_market.registry import NAMES

PROJECT = Path(__file__).resolve().parents[2]
DAYS = calendar.sessions(dt.date(2024, 11, 8), dt.date(2024, 11, 14))  # five sessions
ANALYST_TABLES = ("marts.security_daily", "marts.market_summary", "marts.southbound_daily", "marts.sector_daily",
                  "marts.theme_daily", "marts.movers_daily", "marts.macro_daily", "core.security_prices",
                  "core.short_selling")


def run_days(days: list[dt.date], run_id: str = "test") -> None:
    for dataset in NAMES:
        pipeline.extract(dataset, days)
        pipeline.validate(dataset, days, run_id, data_docs=False)
    pipeline.load(days, run_id, "sample")
    pipeline.build(days)


def tables(target: str) -> dict[str, pd.DataFrame]:
    with warehouse.connect(target, read_only=True) as con:
        return {table: con.execute(f"select * from {table} order by all").df() for table in ANALYST_TABLES}


def assert_equal_tables(left: dict[str, pd.DataFrame], right: dict[str, pd.DataFrame]) -> None:
    for table in ANALYST_TABLES:
        pd.testing.assert_frame_equal(left[table], right[table], check_exact=True, obj=table)


@pytest.fixture(scope="module")
def file_marts(tmp_path_factory) -> dict[str, pd.DataFrame]:
    """The marts a DuckDB file warehouse gets for DAYS, loaded one day after another."""
    scratch = tmp_path_factory.mktemp("file")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("HK_MARKET_WAREHOUSE", str(scratch / "hk_market.duckdb"))
        env.setenv("HK_MARKET_LANDING", str(scratch / "landing"))
        for day in DAYS:
            run_days([day])
        return tables(str(scratch / "hk_market.duckdb"))


def test_the_pipeline_on_a_ducklake_gives_marts_equal_row_for_row_to_a_file_warehouses(lake_warehouse, file_marts):
    for day in DAYS:
        run_days([day])
    assert_equal_tables(tables(lake_warehouse), file_marts)
    run_days(DAYS[1:3], "again")  # re-running days leaves every mart identical
    assert_equal_tables(tables(lake_warehouse), file_marts)


def test_two_writer_processes_at_once_both_succeed_and_give_the_file_warehouses_marts(lake_warehouse, file_marts):
    for dataset in NAMES:
        pipeline.extract(dataset, DAYS)
    writers = [_writer(lake_warehouse, "first", DAYS[:3]), _writer(lake_warehouse, "second", DAYS[3:])]
    outputs = [_finish(writer) for writer in writers]
    for writer, output in zip(writers, outputs, strict=True):
        assert writer.returncode == 0, output
    assert_equal_tables(tables(lake_warehouse), file_marts)


def test_a_reader_attached_read_only_during_writes_sees_whole_days_only(lake_warehouse):
    for dataset in NAMES:
        pipeline.extract(dataset, DAYS)
    run_days(DAYS[:1])
    with warehouse.connect(read_only=True) as con:
        securities = con.execute("select count(*) from marts.security_daily").fetchone()[0]
    writer, seen = _writer(lake_warehouse, "writer", DAYS[1:]), set()
    try:
        while writer.poll() is None:
            with warehouse.connect(read_only=True) as con:  # a new read-only attach, as an analyst's would be
                days = con.execute(
                    "select s.trade_date, count(*), any_value(m.indices), any_value(g.sectors) "
                    "from marts.security_daily as s "
                    "left join (select trade_date, count(*) as indices from marts.market_summary group by 1) as m "
                    "using (trade_date) "
                    "left join (select trade_date, count(*) as sectors from marts.sector_daily group by 1) as g "
                    "using (trade_date) group by s.trade_date").fetchall()
            for day, rows, indices, sectors in days:
                assert (rows, indices) == (securities, 3), f"{day}: half a day visible"
                assert sectors, f"{day}: security_daily without sector_daily"
            seen.add(len(days))
            time.sleep(0.05)
    finally:
        output = _finish(writer)
    assert writer.returncode == 0, output
    assert max(seen) == len(DAYS) and len(seen) > 1  # the reader watched days arrive


def test_analysts_attach_the_lake_read_only_and_publish_copies_nothing(lake_warehouse):
    run_days(DAYS[-1:])
    assert pipeline.publish(DAYS[-1:])["reports"]  # the wrap is still written, from the lake
    assert snapshot.publish() == lake_warehouse
    assert not settings.snapshot_path().exists()
    with warehouse.connect(read_only=True) as con:
        with pytest.raises(duckdb.Error, match="read.only"):
            con.execute("delete from marts.security_daily")


def test_a_failing_lake_names_it_without_the_password(lake_warehouse, postgres_server, caplog, monkeypatch):
    caplog.set_level(logging.DEBUG)
    assert postgres_server.password in lake_warehouse
    run_days(DAYS[-1:])
    pipeline.publish(DAYS[-1:])
    wrong = lake_warehouse.replace(f"password={postgres_server.password}", "password=wrong-secret")
    monkeypatch.setenv("HK_MARKET_WAREHOUSE", wrong)
    with pytest.raises(warehouse.WarehouseUnavailable) as failure:
        with warehouse.connect():
            pass
    assert "password=***" in str(failure.value) and "127.0.0.1" in str(failure.value)
    for text in (str(failure.value), caplog.text):
        assert postgres_server.password not in text and "wrong-secret" not in text


def test_a_write_that_keeps_conflicting_is_retried_then_fails_naming_the_table(lake_warehouse, caplog):
    run_days(DAYS[-1:])
    attempts = iter(range(1, 10))
    with warehouse.connect() as mine, warehouse.connect() as theirs:
        def delete_a_day_while_they_alter_the_table() -> None:
            mine.execute("delete from marts.movers_daily where trade_date = $day", {"day": DAYS[-1]})
            # a writer that does not take our writer lock changes the same table and commits first, every time
            theirs.execute(f"comment on table marts.movers_daily is 'edited {next(attempts)}'")

        with pytest.raises(warehouse.WriteConflict, match=r"^marts\.movers_daily: .* 3 times in a row"):
            warehouse.committed(mine, delete_a_day_while_they_alter_the_table, attempts=3)
    assert caplog.text.count("DuckLake write conflict on marts.movers_daily") == 2


def test_two_writers_deleting_from_the_same_file_at_once_lose_no_delete(lake_warehouse):
    """DuckLake 1.5.5 alone commits both and brings deleted rows back (hk_market/lake.py); the writer lock makes
    the second wait for the first's commit."""
    with warehouse.connect() as con:
        con.execute("create table main.numbers as select range as i, range % 10 as d from range(100000)")
        con.execute("delete from main.numbers where d = 9")  # the file has deletes already: the case that broke
    deleting = threading.Event()

    def slow_delete(con) -> None:
        con.execute("delete from main.numbers where d = 1")
        deleting.set()
        time.sleep(1)  # the other writer tries now

    with warehouse.connect() as first, warehouse.connect() as second:
        worker = threading.Thread(target=warehouse.committed, args=(first, lambda: slow_delete(first)))
        worker.start()
        deleting.wait(30)
        warehouse.committed(second, lambda: second.execute("delete from main.numbers where i < 3"))
        worker.join()
        counts = second.execute("select count(*), count(*) filter (where d in (1, 9) or i < 3) "
                                "from main.numbers").fetchone()
    assert counts == (100000 - 20000 - 2, 0)  # d = 1, d = 9, and i = 0 and 2 (i = 1 has d = 1)


def _writer(target: str, run_id: str, days: list[dt.date]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "tests.lake.writer", run_id, *map(str, days)], cwd=PROJECT,
                            env=dict(os.environ, HK_MARKET_WAREHOUSE=target), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def _finish(process: subprocess.Popen, timeout: float = 300) -> str:
    """Its output once it has ended; killed (by pid) if it has not within the timeout, or on a failure here."""
    try:
        return process.communicate(timeout=timeout)[0]
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_the_data_dictionary_renders_the_same_from_a_ducklake(lake_warehouse):
    from hk_market import dictionary

    with warehouse.connected() as con:  # the DDL applied to the lake: COMMENTs, NOT NULLs, macros kept
        rendered = dictionary.render(con)
    assert rendered == (settings.PROJECT_ROOT / "docs" / "data-dictionary.md").read_text()


def test_the_duckdb_cli_attaches_the_lake_read_only_as_the_readme_shows(lake_warehouse, postgres_server, tmp_path):
    run_days(DAYS[-1:])
    init = tmp_path / "lake.sql"
    printed = subprocess.run([sys.executable, "-m", "hk_market.lake"], capture_output=True, text=True, check=True)
    assert postgres_server.password not in printed.stdout
    init.write_text(printed.stdout)
    cli = [str(Path(sys.executable).with_name("duckdb")), "-init", str(init), "-csv", "-c"]
    env = dict(os.environ, PGPASSWORD=postgres_server.password)
    shown = subprocess.run([*cli, "select count(*) as days from (select distinct trade_date from marts.movers_daily)"],
                           capture_output=True, text=True, env=env, timeout=120, check=False)
    assert shown.returncode == 0 and shown.stdout.splitlines()[-2:] == ["days", "1"], shown.stderr
    refused = subprocess.run([*cli, "delete from marts.movers_daily"], capture_output=True, text=True, env=env,
                             timeout=120, check=False)
    assert "read-only" in refused.stderr + refused.stdout


def test_processes_opening_a_new_lake_at_the_same_moment_all_attach_it(lake_warehouse, tmp_path):
    # Each process, past its imports, says it is ready and waits for the go: all four then attach together.
    opener = ("import pathlib, sys, time; from hk_market import warehouse\n"
              "barrier = pathlib.Path(sys.argv[1]); (barrier / sys.argv[2]).touch()\n"
              "while not (barrier / 'go').exists(): time.sleep(0.01)\n"
              "with warehouse.connect() as con: print(con.execute('select 1').fetchone()[0])")
    openers = [subprocess.Popen([sys.executable, "-c", opener, str(tmp_path), f"ready-{number}"], cwd=PROJECT,
                                env=os.environ.copy(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
               for number in range(4)]
    try:
        deadline = time.monotonic() + 120
        while len(list(tmp_path.glob("ready-*"))) < 4 and time.monotonic() < deadline and all(
                process.poll() is None for process in openers):
            time.sleep(0.05)
        (tmp_path / "go").touch()
        outputs = [_finish(process) for process in openers]
    finally:
        for process in openers:  # stopped by pid, even when a wait above failed
            if process.poll() is None:
                process.kill()
                process.wait()
    assert [process.returncode for process in openers] == [0] * 4, outputs
