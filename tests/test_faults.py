"""Faults: a load that raises half way, a loader killed with SIGKILL inside its transaction (loading raw or
building the marts), a value that breaks the build, and two processes writing the warehouse at once. None
leaves a partial day or a day in raw without its marts, and the next run completes it."""

import datetime as dt
import os
import signal
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from hk_market import calendar, landing, pipeline, transform, warehouse
from hk_market.datasets.southbound.schema import LANDING_SCHEMA as SOUTHBOUND_SCHEMA
from hk_market.registry import NAMES

from .test_pipeline import run_window
from .warehouse_contents import assert_same_contents, contents

PROJECT = Path(__file__).resolve().parents[1]
LOADED = [dt.date(2024, 11, 13)]
DAY = dt.date(2024, 11, 14)
NEXT = dt.date(2024, 11, 15)
INSIDE = "inside the load transaction"
BUILDING = "building the marts inside the load transaction"

# Loads (and builds, if asked) chunks of sessions one after the other, their landing already extracted.
# Right after it has replaced raw.prices inside a load's transaction it prints INSIDE and waits for a
# line on stdin; with "wait_in_build", it prints BUILDING and waits again just before it rebuilds
# marts.sector_daily. "hold_open" keeps the warehouse open throughout, so what a chunk commits stays in
# DuckDB's write-ahead log (closing the last connection would checkpoint it into the file).
STEPS = f"""
import contextlib, datetime as dt, logging, sys
from hk_market import pipeline, transform, warehouse

logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
steps, run_id = sys.argv[1].split(","), sys.argv[2]
chunks = [[dt.date.fromisoformat(day) for day in chunk.split(",")] for chunk in sys.argv[3:]]
replace_window = warehouse.replace_window


def replace_then_wait(con, dataset, *args, **kwargs):
    rows = replace_window(con, dataset, *args, **kwargs)
    if dataset == "prices":
        print({INSIDE!r}, flush=True)
        sys.stdin.readline()
    return rows


warehouse.replace_window = replace_then_wait
rebuild = transform.rebuild


def wait_then_rebuild(con, layer, model, *args):
    if model == "sector_daily" and "wait_in_build" in steps:
        print({BUILDING!r}, flush=True)
        sys.stdin.readline()
    rebuild(con, layer, model, *args)


transform.rebuild = wait_then_rebuild
print("ready", flush=True)
sys.stdin.readline()
with contextlib.ExitStack() as held_open:
    if "hold_open" in steps:
        held_open.enter_context(warehouse.connect())
    for chunk in chunks:
        pipeline.load(chunk, run_id, "sample")
        if "build" in steps:
            pipeline.build(chunk)
"""


def start_steps(steps: str, run_id: str, *chunks: list[dt.date]) -> subprocess.Popen:
    """A process running STEPS, once it has imported everything (it then waits for a line on stdin)."""
    process = subprocess.Popen(
        [sys.executable, "-c", STEPS, steps, run_id, *(",".join(map(str, chunk)) for chunk in chunks)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=PROJECT,
        env=os.environ.copy(),
    )
    assert process.stdout.readline().strip() == "ready", process.stderr.read()
    return process


def tell(process: subprocess.Popen) -> None:
    process.stdin.write("go\n")
    process.stdin.flush()


def extract(sessions: list[dt.date]) -> None:
    for dataset in NAMES:
        pipeline.extract(dataset, sessions)


def rows_per_day(warehouse_path: Path, table: str) -> dict[dt.date, int]:
    with duckdb.connect(str(warehouse_path), read_only=True) as con:
        return dict(con.execute(f"select trade_date, count(*) from {table} group by all").fetchall())


def landed_rows_per_day(dataset: str, sessions: list[dt.date]) -> dict[dt.date, int]:
    days = landing.read(dataset, sessions)["trade_date"].dt.date
    return {day: count for day, count in days.value_counts().items()}


def assert_fully_loaded(warehouse_path: Path, sessions: list[dt.date]) -> None:
    """Every dataset's landed rows of the sessions are in raw, and every session is in the marts."""
    for dataset in NAMES:
        loaded, landed = rows_per_day(warehouse_path, f"raw.{dataset}"), landed_rows_per_day(dataset, sessions)
        assert {day: loaded.get(day) for day in sessions} == {day: landed.get(day) for day in sessions}, dataset
    securities = landed_rows_per_day("prices", sessions)
    assert {day: count + 3 for day, count in rows_per_day(warehouse_path, "marts.security_daily").items()
            if day in sessions} == securities  # the three indices are not securities
    market_summary = rows_per_day(warehouse_path, "marts.market_summary")
    assert {day: market_summary.get(day) for day in sessions} == dict.fromkeys(sessions, 3)


@pytest.fixture
def loaded_day(scratch_warehouse) -> Path:
    """A warehouse with LOADED run through, and DAY extracted but not loaded."""
    run_window(LOADED)
    extract([DAY])
    return scratch_warehouse


def test_an_exception_half_way_through_a_load_leaves_no_partial_day_and_the_next_run_succeeds(
    loaded_day, monkeypatch
):
    before = contents(loaded_day, ("raw", "core", "marts", "audit"))
    replace_window = warehouse.replace_window

    def fail_on_the_second_dataset(con, dataset, *args, **kwargs):
        if dataset == NAMES[1]:
            raise RuntimeError("injected fault")
        return replace_window(con, dataset, *args, **kwargs)

    with monkeypatch.context() as patch, pytest.raises(RuntimeError, match="injected fault"):
        patch.setattr(warehouse, "replace_window", fail_on_the_second_dataset)
        pipeline.load([DAY], "faulty_load", "sample")

    assert_same_contents(contents(loaded_day, ("raw", "core", "marts", "audit")), before)
    pipeline.load([DAY], "next_run", "sample")
    pipeline.build([DAY])
    assert_fully_loaded(loaded_day, [*LOADED, DAY])


def test_an_exception_half_way_through_building_the_marts_leaves_the_marts_as_they_were(loaded_day, monkeypatch):
    pipeline.load([DAY], "loaded", "sample")
    before = contents(loaded_day, ("core", "marts"))
    rebuild = transform.rebuild

    def fail_on_a_later_mart(con, layer, model, *args):
        if model == transform.MODELS["marts"][-2]:
            raise RuntimeError("injected fault")
        rebuild(con, layer, model, *args)

    with monkeypatch.context() as patch, pytest.raises(RuntimeError, match="injected fault"):
        patch.setattr(transform, "rebuild", fail_on_a_later_mart)
        pipeline.build([DAY])

    assert_same_contents(contents(loaded_day, ("core", "marts")), before)
    pipeline.build([DAY])
    assert_fully_loaded(loaded_day, [*LOADED, DAY])


def test_a_loader_killed_inside_its_transaction_leaves_no_partial_day_and_the_next_run_succeeds(
    scratch_warehouse, monkeypatch
):
    monkeypatch.setenv("HK_MARKET_SAMPLE_UNIVERSE", "full")  # over 122,880 price rows in the second chunk:
    window = calendar.sessions(dt.date(2024, 8, 20), DAY)  # DuckDB writes them to the file before the commit
    first_chunk, second_chunk = window[:10], window[9:]  # the second reloads the first's last session
    extract(window)
    loader = start_steps("hold_open", "killed", first_chunk, second_chunk)

    for _ in (first_chunk, second_chunk):
        tell(loader)
        assert loader.stdout.readline().strip() == INSIDE, loader.stderr.read()
    loader.send_signal(signal.SIGKILL)
    loader.wait(timeout=30)

    assert loader.returncode == -signal.SIGKILL
    assert Path(f"{scratch_warehouse}.wal").stat().st_size > 0  # the first chunk, committed, not checkpointed
    for dataset in NAMES:  # the WAL replays the first chunk whole and nothing of the second
        assert rows_per_day(scratch_warehouse, f"raw.{dataset}") == landed_rows_per_day(dataset, first_chunk)
    assert sum(landed_rows_per_day("prices", second_chunk).values()) > 122_880
    pipeline.load(second_chunk, "next_run", "sample")
    pipeline.build(window)
    assert_fully_loaded(scratch_warehouse, window)


def test_a_backfill_and_a_daily_run_writing_at_once_both_complete_one_waiting_with_a_clear_log_line(
    scratch_warehouse,
):
    backfill, daily = calendar.sessions(dt.date(2024, 11, 1), dt.date(2024, 11, 13)), [DAY]
    extract(backfill + daily)
    holder = start_steps("build", "backfill", backfill)
    waiter = start_steps("build", "daily", daily)

    tell(holder)
    assert holder.stdout.readline().strip() == INSIDE, holder.stderr.read()
    tell(waiter)
    waited = []
    while not any("locked by another process" in line for line in waited):  # the waiter is blocked
        waited.append(waiter.stderr.readline())
        assert waited[-1], "".join(waited)
    tell(holder)  # let the holder commit
    holder_output, waiter_output = holder.communicate(timeout=120), waiter.communicate("go\n", timeout=120)

    assert holder.returncode == 0, holder_output[1]
    assert waiter.returncode == 0, "".join(waited) + waiter_output[1]
    assert f"warehouse {scratch_warehouse} is locked by another process; retrying" in "".join(waited)
    assert_fully_loaded(scratch_warehouse, backfill + daily)


def clean_run(path: Path, days: list[dt.date]) -> dict:
    """core and marts of a warehouse at path that ran the days one by one without a fault."""
    with pytest.MonkeyPatch.context() as env:
        env.setenv("HK_MARKET_WAREHOUSE", str(path))
        for day in days:
            pipeline.load([day], "clean", "sample")
    return contents(path, ("core", "marts"))


def test_a_loader_killed_while_it_builds_the_marts_leaves_nothing_of_the_day_and_the_next_run_completes_it(
    loaded_day, tmp_path
):
    before = contents(loaded_day)
    loader = start_steps("wait_in_build", "killed", [DAY])
    try:
        tell(loader)
        assert loader.stdout.readline().strip() == INSIDE, loader.stderr.read()
        tell(loader)
        assert loader.stdout.readline().strip() == BUILDING, loader.stderr.read()
    finally:
        loader.send_signal(signal.SIGKILL)
        loader.wait(timeout=30)

    assert loader.returncode == -signal.SIGKILL
    assert_same_contents(contents(loaded_day), before)  # raw, core and marts: nothing of DAY, earlier days whole
    pipeline.load([DAY], "next_run", "sample")
    assert_fully_loaded(loaded_day, [*LOADED, DAY])
    assert_same_contents(contents(loaded_day, ("core", "marts")), clean_run(tmp_path / "clean.duckdb", [*LOADED, DAY]))


def test_a_day_an_earlier_run_left_in_raw_without_its_marts_is_built_by_the_next_run(loaded_day, tmp_path):
    pipeline.load([DAY], "loaded", "sample")
    with duckdb.connect(str(loaded_day)) as con:  # as a run killed between its load's and its build's commits
        for layer, models in transform.MODELS.items():
            for model in models:
                con.execute(f"delete from {layer}.{model} where trade_date = $day", {"day": DAY})
    assert warehouse_days(loaded_day, "marts.security_daily") == set(LOADED)

    extract([NEXT])
    assert pipeline.plan_window(NEXT) == [NEXT]
    pipeline.load([NEXT], "next_run", "sample")

    assert_fully_loaded(loaded_day, [*LOADED, DAY, NEXT])
    assert_same_contents(contents(loaded_day, ("core", "marts")),
                         clean_run(tmp_path / "clean.duckdb", [*LOADED, DAY, NEXT]))


def test_a_value_that_breaks_the_build_fails_naming_the_day_and_model_and_loads_nothing_of_the_day(loaded_day):
    flows = landing.read("southbound", [DAY])
    flows.loc[flows["channel"] == "SSE", "buy_hkd"] = 1e17  # passes as a double, not as DECIMAL(18, 2)
    landing.write("southbound", flows.astype(SOUTHBOUND_SCHEMA), [DAY])
    before = contents(loaded_day)

    with pytest.raises(transform.BuildError, match=r"building marts\.southbound_daily for 2024-11-14 failed: "
                       r"Conversion Error"):
        pipeline.load([DAY], "broken", "sample")

    assert_same_contents(contents(loaded_day), before)


def warehouse_days(path: Path, table: str) -> set[dt.date]:
    return set(rows_per_day(path, table))
