"""`airflow backfill create` of hk_market_daily, carried out by Airflow's own scheduler on the sample source.

What README's "Backfills" section promises, proved with real Airflow processes (not dag.test()) for a
backfill of 2024-10-10 to 2024-10-14:

- one run per weekday: 2024-10-10, 2024-10-11 (Chung Yeung Festival, an HKEX holiday) and 2024-10-14;
  all three succeed, every task of the holiday's run is skipped, every task of the others succeeds;
- the marts then hold exactly the sessions 2024-10-09 (the first run's look-back into an empty
  warehouse), 2024-10-10 and 2024-10-14, in the warehouse and in the analyst snapshot;
- `--reprocess-behavior completed` runs all three days again and leaves every mart identical;
- `--reprocess-behavior failed` and `none` run nothing again when every run succeeded.

`--to-date` is an instant, inclusive, and a bare date is midnight UTC. A run's logical date is its
17:30 HKT cron tick (09:30 UTC), so `--to-date 2024-10-14` leaves 2024-10-14 out: the test pins that with
a dry run, and backfills with `--to-date 2024-10-14T17:30:00+08:00` (the last day's tick) instead.

Set-up: a temporary AIRFLOW_HOME (migrated SQLite metadata database, the one-slot `duckdb_writer`
pool), a temporary warehouse, landing zone, snapshot and reports, and `airflow dag-processor`,
`airflow scheduler` (LocalExecutor) and `airflow api-server` on free loopback ports, each in its own
process group, always stopped (SIGTERM, then SIGKILL) even when the test fails.

Two things of Airflow 3.3 shape the test:

- The scheduler starts no run of a paused DAG, backfill runs included
  (`DagRun.get_queued_dag_runs_to_set_running` joins on `DagModel.is_paused == false`), and a new DAG
  is paused at creation; `backfill create` accepts a paused DAG but its runs would stay queued for
  ever. So the test unpauses hk_market_daily.
- Unpaused, a DAG with `catchup=False` gets a scheduled run for its latest cron tick (today), which
  would load today into the warehouse. `[scheduler] use_job_schedule = False` stops the scheduler
  creating scheduled runs while it still runs backfill runs; the test asserts every run is a backfill run.

The scheduler marks a backfill complete only every 30 s, and a DAG can have one backfill at a time, so a
new `backfill create` is retried (bounded) while the previous one is still "running".

The metadata database is SQLite, and there `backfill create` races the other writers: if the scheduler or
the dag-processor commits (a heartbeat, a re-parse) between its read and its write, it fails with
"database is locked", and its clean-up (`_cleanup_partial_backfill`) then deletes the runs it had already
cleared, because pysqlite's released savepoint had committed them (seen once in four test runs, and
reproduced in-process). So every CLI command that writes runs while those two processes are held
still (SIGSTOP, then SIGCONT, at a moment neither holds SQLite's write lock); they are not needed while
the command runs. (With Postgres the savepoints are real, so the clean-up would find nothing committed.)

Takes four to five minutes on two cores.
"""

import datetime as dt
import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar
from zoneinfo import ZoneInfo

import duckdb
import pandas as pd
import pytest
import requests

from hk_market.airflow_glue.dag_defaults import MART_TABLES, WRITER_POOL

PROJECT = Path(__file__).resolve().parents[2]
AIRFLOW_BIN = str(Path(sys.executable).with_name("airflow"))
HK_TZ = ZoneInfo("Asia/Hong_Kong")

DAG_ID = "hk_market_daily"
FROM_DATE = "2024-10-10"
TO_DATE = "2024-10-14T17:30:00+08:00"  # the last day's cron tick: `--to-date` is an inclusive instant
BARE_TO_DATE = "2024-10-14"  # midnight UTC, before that day's 17:30 HKT tick
HOLIDAY = dt.date(2024, 10, 11)  # Chung Yeung Festival: no HKEX session
TRADING_DAYS = (dt.date(2024, 10, 10), dt.date(2024, 10, 14))
RUN_DAYS = {TRADING_DAYS[0], HOLIDAY, TRADING_DAYS[1]}  # weekdays; 12-13 October is a weekend
LOOK_BACK_SESSION = dt.date(2024, 10, 9)  # loaded by the first run into an empty warehouse
FINISHED = {"success", "failed"}

STARTUP_SECONDS = 60  # api-server serving
DAG_PARSE_SECONDS = 120  # the dag-processor has put hk_market_daily in the metadata database
BACKFILL_RUNS_SECONDS = 300  # one backfill's runs all finished
PREVIOUS_BACKFILL_SECONDS = 75  # the scheduler marks a finished backfill complete every 30 s
CLI_SECONDS = 120
QUIET_SECONDS = 30  # to catch the scheduler and dag-processor outside a write
POLL_SECONDS = 2
STOP_GRACE_SECONDS = 20

T = TypeVar("T")

# Four to five minutes of real scheduler, dag-processor and API server: run with `make test-airflow-services`.
pytestmark = pytest.mark.airflow_services


@dataclass
class AirflowStack:
    """The running Airflow processes of one AIRFLOW_HOME, their environment and the warehouse they fill."""

    env: dict[str, str]
    warehouse: Path
    snapshot: Path
    log_dir: Path
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)

    def start(self, name: str, *args: str) -> None:
        with (self.log_dir / f"{name}.log").open("w") as log:
            self.processes[name] = subprocess.Popen([AIRFLOW_BIN, *args], stdout=log, stderr=subprocess.STDOUT,
                                                    env=self.env, start_new_session=True)

    def stop_all(self) -> None:
        """The scheduler first (no new task starts), then the dag-processor, then the api-server."""
        for name in reversed(list(self.processes)):
            stop_process_group(self.processes[name])

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        result = subprocess.run([AIRFLOW_BIN, *args], env=self.env, capture_output=True, text=True,
                                timeout=CLI_SECONDS)
        if check and result.returncode != 0:
            pytest.fail(f"`airflow {' '.join(args)}` exited with {result.returncode}:\n"
                        f"{result.stdout[-2000:]}\n{result.stderr[-3000:]}\n{self.log_tails()}")
        return result

    def cli_writing(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        """An Airflow command that writes the metadata database, run while no other process can write it."""
        with self.writers_held_still():
            return self.cli(*args, check=check)

    @contextmanager
    def writers_held_still(self) -> Iterator[None]:
        """SIGSTOP the scheduler's and dag-processor's process groups at a moment neither holds SQLite's write
        lock; SIGCONT them afterwards, always."""
        writers = [self.processes[name] for name in ("scheduler", "dag-processor")]
        deadline = time.monotonic() + QUIET_SECONDS
        try:
            while True:
                signal_groups(writers, signal.SIGSTOP)
                if sqlite_write_lock_free(self.metadata_db):
                    break
                signal_groups(writers, signal.SIGCONT)
                if time.monotonic() > deadline:
                    pytest.fail(f"the metadata database stayed write-locked for {QUIET_SECONDS} s\n{self.log_tails()}")
                time.sleep(0.2)
            yield
        finally:
            signal_groups(writers, signal.SIGCONT)

    @property
    def metadata_db(self) -> Path:
        return Path(self.env["AIRFLOW_HOME"]) / "airflow.db"

    def cli_json(self, *args: str) -> list[dict]:
        return json_output(self.cli(*args, "-o", "json").stdout)

    def fail_if_a_process_died(self) -> None:
        for name, process in self.processes.items():
            if process.poll() is not None:
                pytest.fail(f"airflow {name} exited with {process.returncode}:\n{self.log_tail(name)}")

    def log_tail(self, name: str, chars: int = 4000) -> str:
        path = self.log_dir / f"{name}.log"
        text = path.read_text(errors="replace") if path.exists() else "(no log)"
        return f"--- tail of {path} ---\n{text[-chars:]}"

    def log_tails(self) -> str:
        return "\n".join(self.log_tail(name) for name in ("scheduler", "dag-processor", "api-server"))


def json_output(stdout: str) -> list[dict]:
    """The JSON list an `-o json` command prints; Airflow may log warnings to stdout before it."""
    for line in reversed(stdout.splitlines()):
        if line.startswith("["):
            return json.loads(line)
    raise AssertionError(f"no JSON list in the output:\n{stdout[-2000:]}")


def signal_groups(processes: list[subprocess.Popen], sig: signal.Signals) -> None:
    for process in processes:
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            pass


def sqlite_write_lock_free(database: Path) -> bool:
    """Whether a write transaction could start now (nobody is in the middle of one)."""
    con = sqlite3.connect(database, timeout=0.1, isolation_level=None)
    try:
        con.execute("begin immediate")
        con.execute("rollback")
        return True
    except sqlite3.OperationalError:
        return False
    finally:
        con.close()


def stop_process_group(process: subprocess.Popen) -> None:
    """SIGTERM the process's group, wait a bounded time, then SIGKILL whatever of the group is left; reap it."""
    signal_groups([process], signal.SIGTERM)
    signal_groups([process], signal.SIGCONT)  # a stopped process acts on SIGTERM only once continued
    try:
        process.wait(timeout=STOP_GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        pass
    try:
        os.killpg(process.pid, signal.SIGKILL)  # stragglers too (executor workers), even if the leader is gone
    except ProcessLookupError:
        pass
    process.wait(timeout=STOP_GRACE_SECONDS)


def free_ports(count: int) -> list[int]:
    """Distinct free loopback ports (all probes held open together, so no two are the same)."""
    probes = [socket.socket() for _ in range(count)]
    try:
        for probe in probes:
            probe.bind(("127.0.0.1", 0))
        return [probe.getsockname()[1] for probe in probes]
    finally:
        for probe in probes:
            probe.close()


def wait_until(what: str, probe: Callable[[], T | None], seconds: float, stack: AirflowStack) -> T:
    """Call probe until it returns something truthy, at most `seconds`; fail with the process logs otherwise."""
    deadline = time.monotonic() + seconds
    while True:
        stack.fail_if_a_process_died()
        result = probe()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {seconds} s waiting for {what}\n{stack.log_tails()}")
        time.sleep(POLL_SECONDS)


def airflow_environment(home: Path, data: Path, api_port: int, log_server_port: int) -> dict[str, str]:
    warehouse = data / "warehouse" / "hk_market.duckdb"
    env = {name: value for name, value in os.environ.items()
           if not name.startswith(("AIRFLOW__", "AIRFLOW_CONN_", "AIRFLOW_VAR_"))}
    env.update({
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(PROJECT / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__CORE__PARALLELISM": "4",  # LocalExecutor forks this many workers up front; 2 cores
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{api_port}/execution/",
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__API__PORT": str(api_port),
        "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(log_server_port),
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
        "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",  # backfill runs only, no run for today's cron tick
        "AIRFLOW_CONN_DUCKDB_DEFAULT": json.dumps({"conn_type": "duckdb", "host": str(warehouse)}),
        "HK_MARKET_SOURCE": "sample",
        "HK_MARKET_WAREHOUSE": str(warehouse),
        "HK_MARKET_LANDING": str(data / "landing"),
        "HK_MARKET_SNAPSHOT": str(data / "snapshot" / "hk_market_analyst.duckdb"),
        "HK_MARKET_REPORTS": str(data / "reports"),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    })
    return env


@pytest.fixture(scope="module")
def stack(tmp_path_factory) -> AirflowStack:
    """A migrated AIRFLOW_HOME with the pool, and a running dag-processor, scheduler and api-server."""
    root = tmp_path_factory.mktemp("airflow-backfill")
    home, data, log_dir = root / "airflow-home", root / "data", root / "process-logs"
    for directory in (home, data, log_dir):
        directory.mkdir()
    api_port, log_server_port = free_ports(2)
    env = airflow_environment(home, data, api_port, log_server_port)
    airflow = AirflowStack(env=env, warehouse=Path(env["HK_MARKET_WAREHOUSE"]),
                           snapshot=Path(env["HK_MARKET_SNAPSHOT"]), log_dir=log_dir)
    airflow.cli("db", "migrate")
    airflow.cli("pools", "set", WRITER_POOL, "1", "One DuckDB writer at a time")
    try:
        airflow.start("api-server", "api-server", "--host", "127.0.0.1", "--port", str(api_port), "--workers", "1")
        airflow.start("dag-processor", "dag-processor")
        # No log server: it would listen on every interface, and the task logs are local files anyway.
        airflow.start("scheduler", "scheduler", "--skip-serve-logs")
        wait_until("the api-server to serve", lambda: api_serving(api_port), STARTUP_SECONDS, airflow)
        wait_until(f"the dag-processor to register {DAG_ID}", lambda: dag_registered(airflow), DAG_PARSE_SECONDS,
                   airflow)
        yield airflow
    finally:
        airflow.stop_all()


def api_serving(port: int) -> bool:
    try:
        return requests.get(f"http://127.0.0.1:{port}/api/v2/version", timeout=2).ok
    except requests.ConnectionError:
        return False


def dag_registered(stack: AirflowStack) -> bool:
    result = stack.cli("dags", "list", "-o", "json", check=False)
    return result.returncode == 0 and DAG_ID in {dag["dag_id"] for dag in json_output(result.stdout)}


def create_backfill(stack: AirflowStack, *options: str) -> None:
    """`airflow backfill create` for the range, retried while the DAG's previous backfill is not yet marked complete."""
    args = ("backfill", "create", "--dag-id", DAG_ID, "--from-date", FROM_DATE, "--to-date", TO_DATE, *options)

    def attempt() -> bool:
        result = stack.cli_writing(*args, check=False)
        if result.returncode == 0:
            return True
        if "Another backfill is running" in result.stdout + result.stderr:
            return False
        pytest.fail(f"`airflow {' '.join(args)}` exited with {result.returncode}:\n{result.stderr[-3000:]}")

    wait_until(f"`airflow {' '.join(args)}` to be accepted", attempt, PREVIOUS_BACKFILL_SECONDS, stack)


def dry_run_days(stack: AirflowStack, to_date: str) -> set[dt.date]:
    """The days a backfill up to `to_date` would run (`completed`, so runs that exist already count too)."""
    output = stack.cli("backfill", "create", "--dag-id", DAG_ID, "--from-date", FROM_DATE, "--to-date", to_date,
                       "--reprocess-behavior", "completed", "--dry-run").stdout
    logical_dates = re.findall(r"^\| (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\+00:00) +\|", output, re.MULTILINE)
    return {dt.datetime.fromisoformat(stamp).astimezone(HK_TZ).date() for stamp in logical_dates}


def trade_day(run: dict) -> dt.date:
    """The Hong Kong day a run is for (its logical date is 17:30 HKT)."""
    return dt.datetime.fromisoformat(run["logical_date"]).astimezone(HK_TZ).date()


def runs_by_day(stack: AirflowStack) -> dict[dt.date, dict]:
    runs = stack.cli_json("dags", "list-runs", DAG_ID)
    by_day = {trade_day(run): run for run in runs}
    assert len(by_day) == len(runs), f"two runs for one day: {runs}"
    return by_day


def wait_for_backfill_runs(stack: AirflowStack, finished_after: dt.datetime | None = None) -> dict[dt.date, dict]:
    """All runs by day, once the range's weekdays have one each and all are finished (after `finished_after`)."""

    def all_finished() -> dict[dt.date, dict] | None:
        runs = runs_by_day(stack)
        done = RUN_DAYS <= set(runs) and all(
            run["state"] in FINISHED
            and (finished_after is None or dt.datetime.fromisoformat(run["end_date"]) > finished_after)
            for run in runs.values())
        return runs if done else None

    return wait_until(f"the backfill runs of {sorted(RUN_DAYS)} to finish", all_finished, BACKFILL_RUNS_SECONDS,
                      stack)


def task_states(stack: AirflowStack, run_id: str) -> dict[str, str]:
    return {ti["task_id"]: ti["state"] for ti in stack.cli_json("tasks", "states-for-dag-run", DAG_ID, run_id)}


def mart_contents(database: Path) -> dict[str, pd.DataFrame]:
    """Every mart, sorted on all columns. Read only once no run is writing (DuckDB locks a file being written)."""
    with duckdb.connect(str(database), read_only=True) as con:
        return {mart: con.execute(f"select * from marts.{mart} order by all").df() for mart in MART_TABLES}


def market_summary_days(database: Path) -> set[dt.date]:
    with duckdb.connect(str(database), read_only=True) as con:
        return {day for (day,) in con.execute("select distinct trade_date from marts.market_summary").fetchall()}


def run_summary(runs: dict[dt.date, dict]) -> dict[str, tuple[str, str, str]]:
    return {str(day): (run["run_id"], run["state"], run["end_date"]) for day, run in sorted(runs.items())}


@pytest.fixture(scope="module")
def first_backfill(stack) -> dict[dt.date, dict]:
    """The range backfilled into the empty warehouse; its runs by trade day."""
    stack.cli_writing("dags", "unpause", DAG_ID)  # the scheduler starts no run, backfill or not, of a paused DAG
    create_backfill(stack)
    return wait_for_backfill_runs(stack)


@pytest.fixture(scope="module")
def reprocessed_completed(stack, first_backfill):
    """The marts before, the runs and the marts after `--reprocess-behavior completed` of the same range."""
    before = mart_contents(stack.warehouse)
    started = dt.datetime.now(dt.UTC)
    create_backfill(stack, "--reprocess-behavior", "completed")
    runs = wait_for_backfill_runs(stack, finished_after=started)
    return before, runs, mart_contents(stack.warehouse)


def test_a_bare_to_date_leaves_that_days_run_out(stack):
    assert dry_run_days(stack, BARE_TO_DATE) == {TRADING_DAYS[0], HOLIDAY}, \
        f"--to-date {BARE_TO_DATE} is midnight UTC, before that day's 17:30 HKT run"
    assert dry_run_days(stack, TO_DATE) == RUN_DAYS


def test_the_backfill_makes_one_run_per_weekday_and_all_succeed(first_backfill):
    assert set(first_backfill) == RUN_DAYS
    assert {day: run["state"] for day, run in first_backfill.items()} == dict.fromkeys(RUN_DAYS, "success"), \
        run_summary(first_backfill)
    scheduled = [run["run_id"] for run in first_backfill.values() if not run["run_id"].startswith("backfill__")]
    assert not scheduled, f"runs the backfill did not make: {scheduled}"


def test_every_task_of_the_holiday_run_is_skipped(stack, first_backfill):
    states = task_states(stack, first_backfill[HOLIDAY]["run_id"])
    assert states and set(states.values()) == {"skipped"}, f"{HOLIDAY} (Chung Yeung) tasks: {states}"


@pytest.mark.parametrize("day", TRADING_DAYS, ids=str)
def test_every_task_of_a_trading_day_run_succeeds(stack, first_backfill, day):
    states = task_states(stack, first_backfill[day]["run_id"])
    assert states and set(states.values()) == {"success"}, f"{day} tasks: {states}"


def test_the_marts_hold_the_backfilled_sessions_and_the_first_runs_look_back(stack, first_backfill):
    expected = {LOOK_BACK_SESSION, *TRADING_DAYS}
    assert market_summary_days(stack.snapshot) == expected, "analyst snapshot"
    assert market_summary_days(stack.warehouse) == expected, "warehouse"


def test_reprocessing_completed_runs_runs_every_day_again_and_all_succeed(first_backfill, reprocessed_completed):
    _, runs, _ = reprocessed_completed
    assert {day: run["run_id"] for day, run in runs.items()} == \
        {day: run["run_id"] for day, run in first_backfill.items()}, "the runs are cleared and run again, not new"
    assert {run["state"] for run in runs.values()} == {"success"}, run_summary(runs)


@pytest.mark.parametrize("mart", MART_TABLES)
def test_reprocessing_completed_runs_leaves_every_mart_identical(reprocessed_completed, mart):
    before, _, after = reprocessed_completed
    assert len(before[mart]) > 0, f"marts.{mart} is empty"
    pd.testing.assert_frame_equal(before[mart], after[mart], check_exact=True, obj=f"marts.{mart}")


@pytest.mark.parametrize("behavior", ["failed", "none"])
def test_reprocessing_failed_or_none_runs_nothing_again_when_all_succeeded(stack, reprocessed_completed, behavior):
    before = run_summary(runs_by_day(stack))
    create_backfill(stack, "--reprocess-behavior", behavior)
    after = run_summary(runs_by_day(stack))
    assert after == before, f"--reprocess-behavior {behavior} changed the runs"
