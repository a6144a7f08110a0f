"""Bulk backfills through the library: parameters checked first, YTD right, re-runs change nothing, a kill
leaves no day without its marts and no process behind, unreadable landed files are fetched again."""

import datetime as dt
import os
import shutil
import signal
import subprocess
import sys
import time

import duckdb
import pandas as pd
import psutil
import pytest

from hk_market import backfill, calendar, landing, pipeline, warehouse
from hk_market.sources.errors import SourceDataError

TODAY = dt.date(2026, 11, 24)


@pytest.mark.parametrize(("start", "end", "message"), [
    ("2024-02-30", "2024-03-05", "'2024-02-30' is not a date"),
    ("2024-03-05", "2024-03-01", "start 2024-03-05 is after end 2024-03-01"),
    ("2026-11-02", "2026-12-01", "end 2026-12-01 is in the future"),
    ("1990-01-02", "1990-02-01", "start 1990-01-02 is outside the XHKG calendar"),
    ("2024-12-25", "2024-12-26", "no HKEX session from 2024-12-25 to 2024-12-26"),
])
def test_a_bad_range_fails_before_any_work_saying_which_and_why(start, end, message, scratch_warehouse):
    with pytest.raises(ValueError, match=message):
        backfill.check_range(start, end, today=TODAY)
    assert not scratch_warehouse.exists()


def test_an_unknown_dataset_fails_naming_the_known_ones():
    with pytest.raises(ValueError, match="choose from prices, short_selling, southbound"):
        backfill.check_datasets(["prices", "options"])


def test_chunks_cover_the_sessions_in_order_without_overlap():
    sessions = backfill.check_range("2024-01-02", "2024-03-28", today=TODAY)
    parts = backfill.chunks(sessions, 20)
    assert [day for part in parts for day in part] == sessions
    assert max(len(part) for part in parts) == 20


def marts(warehouse) -> dict[str, pd.DataFrame]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        names = [name for (name,) in con.execute(
            "select table_name from duckdb_tables() where schema_name = 'marts' order by 1").fetchall()]
        return {name: con.execute(f"select * from marts.{name} order by all").df() for name in names}


def test_backfilling_2024_to_the_wrap_day_gives_a_complete_ytd_near_630_billion(scratch_warehouse):
    seconds = backfill.run("2024-01-02", "2024-11-14", chunk_sessions=60)
    assert all(seconds[stage] > 0 for stage in ("extract", "validate", "load")), seconds  # load: with the marts
    assert seconds["read landing"] == 0, seconds  # the worker hands over what it landed: nothing is read back
    with duckdb.connect(str(scratch_warehouse), read_only=True) as con:
        ytd_complete, ytd_net_buy_hkd = con.execute(
            "select ytd_complete, ytd_net_buy_hkd from marts.southbound_daily "
            "where trade_date = date '2024-11-14' and channel = 'TOTAL'").fetchone()
    assert ytd_complete
    assert 600e9 <= ytd_net_buy_hkd <= 630e9  # the wrap: "approaching HK$630 billion"

    before = marts(scratch_warehouse)
    sessions = backfill.check_range("2024-01-02", "2024-11-14", today=TODAY)
    assert set(backfill.extract_chunk(sessions[:5], ("prices",)).values()) == {None}  # landed files reused
    again = backfill.run("2024-01-02", "2024-11-14", chunk_sessions=60)
    assert again["extract"] == 0 and again["read landing"] > 0, again  # the landed files, read: the same marts
    after = marts(scratch_warehouse)
    for name, frame in before.items():
        pd.testing.assert_frame_equal(frame, after[name], check_exact=True, obj=name)


def test_a_backfill_never_reuses_files_that_another_source_landed(scratch_warehouse, monkeypatch):
    sessions = backfill.check_range("2024-11-13", "2024-11-14", today=TODAY)
    backfill.extract_chunk(sessions, ("prices",), source="sample")
    assert backfill.extract_chunk(sessions, ("prices",), source="sample") == {"prices": None}  # reused
    fetched = []
    monkeypatch.setattr(pipeline, "extract", lambda dataset, chunk, source, pages: fetched.append(source) or len(chunk))
    assert backfill.extract_chunk(sessions, ("prices",), source="live") == {"prices": 2}
    monkeypatch.setenv("HK_MARKET_SAMPLE_UNIVERSE", "full")  # the full-market sample lands apart too
    assert backfill.extract_chunk(sessions, ("prices",), source="sample") == {"prices": 2}
    assert fetched == ["live", "sample"]
    with pytest.raises(FileNotFoundError, match="prices: nothing landed from live for 2024-11-13, 2024-11-14"):
        landing.read("prices", sessions, "live")


def test_a_chunk_that_fails_to_extract_stops_the_backfill_with_the_chunks_before_it_loaded(scratch_warehouse):
    blocked = landing.path("prices", dt.date(2024, 11, 14))
    blocked.mkdir(parents=True)  # the worker extracting the second chunk cannot land this session's file
    with pytest.raises(IsADirectoryError, match="2024-11-14"):
        backfill.run("2024-11-11", "2024-11-14", datasets=["prices"], chunk_sessions=2)
    with duckdb.connect(str(scratch_warehouse), read_only=True) as con:
        loaded = [day for (day,) in con.execute("select distinct trade_date from raw.prices order by 1").fetchall()]
    assert loaded == [dt.date(2024, 11, 11), dt.date(2024, 11, 12)]


def test_a_failed_load_stops_the_worker_at_once_not_after_the_next_chunk_is_extracted(scratch_warehouse,
                                                                                     monkeypatch, caplog):
    monkeypatch.setenv("HK_MARKET_SAMPLE_UNIVERSE", "full")  # seconds to extract and read each chunk of a year
    failed = []

    def load_fails(*args, **kwargs):
        time.sleep(0.5)  # the worker is well into the second chunk
        failed.append(time.perf_counter())
        raise RuntimeError("the warehouse is locked by another process")

    monkeypatch.setattr(backfill, "load_chunk", load_fails)
    seconds = backfill.StageSeconds()
    with pytest.raises(RuntimeError, match="locked"):  # while the worker extracts the second chunk
        backfill.run("2023-01-03", "2024-12-31", chunk_sessions=250, seconds=seconds)
    stopped_after = time.perf_counter() - failed[0]
    first_chunk = seconds["extract"] + seconds["read landing"]  # in the worker: the second takes about as long
    assert stopped_after < first_chunk / 4, f"stopped {stopped_after:.1f} s after; a chunk takes {first_chunk:.1f} s"
    assert "stopping the extract worker without waiting" in caplog.text


def test_a_short_selling_backfill_is_checked_against_the_loaded_prices_when_none_are_landed(scratch_warehouse):
    backfill.run("2024-11-13", "2024-11-14", datasets=["prices"])
    shutil.rmtree(landing.zone() / "prices")
    backfill.run("2024-11-13", "2024-11-14", datasets=["short_selling"])
    with duckdb.connect(str(scratch_warehouse), read_only=True) as con:
        (checked,) = con.execute(
            "select count(*) from audit.validation_results where dataset = 'short_selling' and success "
            "and column_name = 'max_turnover_hkd, short_turnover_hkd'").fetchone()
    assert checked == 1


def test_a_short_selling_backfill_without_prices_fails_naming_the_sessions(scratch_warehouse):
    with pytest.raises(SourceDataError, match="short_selling 2024-11-13 to 2024-11-14 .*: no prices landed or loaded"):
        backfill.run("2024-11-13", "2024-11-14", datasets=["short_selling"])


# A backfill in chunks of sys.argv[3] sessions that logs each chunk loaded (to stderr).
BACKFILL = """
import logging, sys
from hk_market import backfill

logging.basicConfig(level=logging.INFO)
backfill.run(sys.argv[1], sys.argv[2], chunk_sessions=int(sys.argv[3]))
"""


def test_a_backfill_killed_mid_run_leaves_no_process_behind_and_no_day_without_its_marts(
        scratch_warehouse, monkeypatch):
    monkeypatch.setenv("HK_MARKET_SAMPLE_UNIVERSE", "full")  # seconds to extract each chunk: the worker is busy
    first, last = dt.date(2024, 5, 2), dt.date(2024, 11, 14)
    run = subprocess.Popen([sys.executable, "-c", BACKFILL, str(first), str(last), "40"], env=os.environ.copy(),
                           stderr=subprocess.PIPE, text=True)
    children = []
    try:
        logged = []
        while not any("chunk 1 of" in line for line in logged):
            logged.append(run.stderr.readline())
            assert logged[-1], "".join(logged)
        children = psutil.Process(run.pid).children(recursive=True)  # the extract worker (and its helpers)
        assert children
        run.send_signal(signal.SIGKILL)
        run.wait(timeout=30)
        gone, alive = psutil.wait_procs(children, timeout=5)
        assert not alive, f"still running 5 s after their backfill was killed: {alive}"
    finally:
        run.kill()
        run.wait(timeout=30)
        for child in children:
            if child.is_running():
                child.kill()

    with warehouse.connect(read_only=True) as con:
        assert warehouse.unbuilt_sessions(con) == []
        loaded = warehouse.loaded_sessions(con, first, last)
    assert loaded and len(loaded) < len(calendar.sessions(first, last))  # killed part of the way
    backfill.run(first, last, chunk_sessions=40)  # the next run completes the range
    with warehouse.connect(read_only=True) as con:
        assert warehouse.unbuilt_sessions(con) == []
        built = {day for (day,) in con.execute("select distinct trade_date from marts.market_summary").fetchall()}
    assert built == set(calendar.sessions(first, last))


def test_a_backfill_lands_a_reused_file_again_when_it_is_unreadable(scratch_warehouse):
    backfill.run("2024-11-11", "2024-11-14")
    file = landing.path("prices", dt.date(2024, 11, 13))
    file.write_bytes(file.read_bytes()[:100])  # truncated

    backfill.run("2024-11-11", "2024-11-14")

    assert len(landing.read("prices", [dt.date(2024, 11, 13)])) > 0
    assert file.with_name(file.name + ".corrupt").exists()
