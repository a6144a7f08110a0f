"""Run the real hk_market_daily DAG through Airflow (`dag.test`) for each weekday of a range.

    python -m hk_market.airflow_glue.run_days --from 2024-11-01 --to 2024-11-14

Ends with the operator's summary: what ran (rows per dataset, validation outcome, seconds per stage),
the last session's market summary, and where the warehouse, the analyst snapshot and the reports are.
Needs AIRFLOW_HOME with a migrated metadata database and the duckdb_writer pool (the Makefile sets both up).
"""

import argparse
import datetime as dt
import fcntl
import os
import sys
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from hk_market import calendar, registry, settings, warehouse
from hk_market.publish import report
from hk_market.settings import HK_TZ


@dataclass(frozen=True)
class DayRun:
    """One day's DAG run as the operator sees it."""

    day: dt.date
    run_id: str
    state: str
    tasks: dict[str, str]  # task_id -> state
    stage_seconds: dict[str, float]  # stage (extract_* and validate_* summed) -> seconds
    seconds: float


def weekdays(first: dt.date, last: dt.date) -> list[dt.date]:
    """Every Monday to Friday from first to last: the days the DAG's schedule fires on."""
    days = (first + dt.timedelta(days=n) for n in range((last - first).days + 1))
    return [day for day in days if day.weekday() < 5]


def stage_of(task_id: str) -> str:
    """extract_prices -> extract; refresh_turnover stays refresh_turnover."""
    stage, _, dataset = task_id.partition("_")
    return stage if dataset in registry.NAMES else task_id


@contextmanager
def without_deadline(dag):
    """Lift the DAG's deadline alert for the length of a dag.test() run.

    Airflow 3.3.2's dag.test() cannot finish a run of a DAG that has a deadline: DagRun.update_state
    looks the alerts up by id, but under dag.test() it is handed the alert definitions instead, and
    fails with "'dict' object has no attribute 'hex'". The scheduler keeps the deadline; only this
    harness, which `make run` and the tests use, runs without it.
    """
    deadline, dag.deadline = dag.deadline, None
    try:
        yield dag
    finally:
        dag.deadline = deadline


def run_dag(dag, day: dt.date) -> DayRun:
    """Run the DAG for one day through dag.test() and time it, stage by stage."""
    started, started_at = time.monotonic(), dt.datetime.now(dt.UTC)
    with without_deadline(dag):
        run = dag.test(logical_date=dt.datetime.combine(day, dt.time(17, 30), tzinfo=HK_TZ))
    seconds = time.monotonic() - started
    record_start(run, started_at)
    instances = sorted(run.get_task_instances(), key=lambda ti: (ti.start_date is None, ti.start_date))
    stage_seconds: dict[str, float] = {}
    for ti in instances:
        stage = stage_of(ti.task_id)
        stage_seconds[stage] = stage_seconds.get(stage, 0.0) + (ti.duration or 0.0)
    return DayRun(day, run.run_id, str(run.state), {ti.task_id: str(ti.state) for ti in instances}, stage_seconds,
                  seconds)


def record_start(run, started_at: dt.datetime) -> None:
    """Give a dag.test() run the moment it really started.

    dag.test() dates a run's start at its logical date, so the grid, which shows end_date - start_date,
    showed 2024-11-14's run as lasting two years.
    """
    from airflow.models import DagRun
    from airflow.utils.session import create_session
    from sqlalchemy import update

    with create_session() as session:
        session.execute(update(DagRun).where(DagRun.id == run.id).values(start_date=started_at))
    run.start_date = started_at


def audit_of(runs: list[DayRun]) -> tuple[dict[tuple[str, str], int], dict[str, tuple]]:
    """Rows loaded per (run, dataset), and per run (checked, failed, warnings, failed datasets), from audit.*."""
    run_ids = [run.run_id for run in runs]
    if not settings.warehouse_path().exists():  # no run got as far as the warehouse (e.g. no session in range)
        return {}, {}
    with warehouse.connect(read_only=True) as con:
        rows = con.execute(
            "select run_id, dataset, arg_max(rows_loaded, loaded_at) from audit.runs "
            "where list_contains($run_ids, run_id) group by all", {"run_ids": run_ids}).fetchall()
        checks = con.execute("""
            select run_id, count(*), count(*) filter (failed), count(*) filter (not success and not critical),
                   string_agg(distinct dataset, ', ' order by dataset) filter (failed)
            from (select *, severity = 'critical' as critical, not success and critical as failed
                  from audit.validation_results where list_contains($run_ids, run_id))
            group by run_id""", {"run_ids": run_ids}).fetchall()
    return {(run_id, dataset): count for run_id, dataset, count in rows}, {row[0]: row[1:] for row in checks}


def outcome_of(run: DayRun) -> str:
    if run.tasks.get("plan") == "skipped":
        return "skipped: not an HKEX trading day"
    if any(state == "skipped" for task, state in run.tasks.items() if task.startswith("extract_")):
        return "skipped: HKEX says no trading"
    failed = sorted(task for task, state in run.tasks.items() if state == "failed")
    return f"failed: {', '.join(failed)}" if failed else "loaded"


def validation_of(checks: tuple | None) -> str:
    if checks is None:
        return "-"
    checked, failed, warned, datasets = checks
    if failed:
        return f"{failed} of {checked} failed ({datasets})"
    return f"{checked} passed" + (f", {warned} warnings" if warned else "")


def what_ran(runs: list[DayRun]) -> str:
    """The table of days: run state, outcome, rows loaded per dataset, validation outcome."""
    rows, checks = audit_of(runs)
    datasets = "".join(f"{dataset:>15}" for dataset in registry.NAMES)
    header = f"{'Day':<12}{'Run':<9}{datasets}  {'Validation':<22}  Outcome"
    lines = ["What ran (rows loaded per dataset, the look-back session included)", header]
    for run in runs:
        counts = "".join(f"{rows.get((run.run_id, dataset), '-'):>15}" for dataset in registry.NAMES)
        lines.append(f"{run.day!s:<12}{run.state:<9}{counts}  {validation_of(checks.get(run.run_id)):<22}"
                     f"  {outcome_of(run)}")
    return "\n".join(lines)


def seconds_per_stage(runs: list[DayRun]) -> str:
    """The table of task durations per stage and the wall time of each run."""
    stages = list(dict.fromkeys(stage for run in runs for stage in run.stage_seconds))
    widths = {stage: max(12, len(stage) + 2) for stage in stages}
    lines = ["Seconds per stage (task durations; extract and validate summed over datasets)",
             f"{'Day':<12}" + "".join(f"{stage:>{widths[stage]}}" for stage in stages) + f"{'run':>9}"]
    for run in runs:
        cells = "".join(f"{run.stage_seconds[stage]:>{widths[stage]}.1f}" if stage in run.stage_seconds
                        else f"{'-':>{widths[stage]}}" for stage in stages)
        lines.append(f"{run.day!s:<12}{cells}{run.seconds:>9.1f}")
    return "\n".join(lines)


def where_things_are(loaded: list[dt.date]) -> str:
    reports = settings.reports_dir()
    wraps = sorted(reports.glob("*.html"))
    latest = f"; latest {loaded[-1]}.md and {loaded[-1]}.html" if loaded else ""
    listing = f"({len(wraps)} daily wraps as .md and .html{latest})"
    return "\n".join([
        f"Warehouse:        {settings.warehouse_path()}",
        f"Analyst snapshot: {settings.snapshot_path()}   (make sql)",
        f"Reports:          {reports}/   {listing}",
    ])


@contextmanager
def one_at_a_time() -> Iterator[None]:
    """Hold AIRFLOW_HOME's run lock: two runs at once would race to register the DAG in a fresh metadata
    database (an IntegrityError on dag.dag_id) and to write the one warehouse; the second waits, and says so."""
    home = Path(os.environ.get("AIRFLOW_HOME", Path.home() / "airflow"))
    home.mkdir(parents=True, exist_ok=True)
    with (home / "run_days.lock").open("w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print(f"another run_days holds {lock.name}: waiting for it to finish", file=sys.stderr, flush=True)
            fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--from", dest="first", required=True, type=calendar.parse_day)
    parser.add_argument("--to", dest="last", required=True, type=calendar.parse_day)
    args = parser.parse_args(argv)
    if args.first > args.last:
        parser.error(f"--from {args.first} is after --to {args.last}")
    os.environ.setdefault("AIRFLOW__LOGGING__LOGGING_LEVEL", "WARNING")  # task logs stay in the UI's log files
    # Noise from Airflow's own dependencies that says nothing about the run.
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient` is deprecated")
    warnings.filterwarnings("ignore", message="Multiple rows returned with uselist=False")
    from airflow.dag_processing.dagbag import DagBag

    dag = DagBag(str(settings.PROJECT_ROOT / "dags")).get_dag("hk_market_daily")
    with one_at_a_time():
        runs = [run_dag(dag, day) for day in weekdays(args.first, args.last)]
    loaded = [run.day for run in runs if run.tasks.get("load") == "success"]
    print("\n" + what_ran(runs) + "\n\n" + seconds_per_stage(runs))
    if loaded:
        print("\n" + report.day_summary(loaded[-1]))
    print("\n" + where_things_are(loaded))
    return 0 if all(run.state == "success" for run in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
