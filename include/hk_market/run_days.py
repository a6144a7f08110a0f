"""Run the real hk_market_daily DAG through Airflow (`dag.test`) for each weekday of a range.

    python -m hk_market.run_days --from 2024-11-01 --to 2024-11-14

Ends with a table of what ran and the last session's market summary. Needs AIRFLOW_HOME with a
migrated metadata database and the duckdb_writer pool (the Makefile sets both up).
"""

import argparse
import datetime as dt
import os
import sys
import time
import warnings

from hk_market import calendar, report, settings


def weekdays(first: dt.date, last: dt.date) -> list[dt.date]:
    """Every Monday to Friday from first to last: the days the DAG's schedule fires on."""
    days = (first + dt.timedelta(days=n) for n in range((last - first).days + 1))
    return [day for day in days if day.weekday() < 5]


def run_day(dag, day: dt.date) -> tuple[str, dict[str, str]]:
    """Run the DAG for one day; returns the run's state and each task's state."""
    from hk_market.dag_defaults import HK_TZ

    logical_date = dt.datetime.combine(day, dt.time(17, 30), tzinfo=HK_TZ)
    run = dag.test(logical_date=logical_date)
    states = {ti.task_id: str(ti.state) for ti in run.get_task_instances()}
    return str(run.state), states


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
    outcomes = []
    for day in weekdays(args.first, args.last):
        started = time.monotonic()
        state, tasks = run_day(dag, day)
        outcomes.append((day, state, tasks, time.monotonic() - started))
    print(_outcome_table(outcomes))
    sessions = [day for day, state, tasks, _ in outcomes if tasks.get("build_marts") == "success"]
    if sessions:
        print("\n" + report.day_summary(sessions[-1]))
    print(f"\nWarehouse: {settings.warehouse_path()}")
    return 0 if all(state == "success" for _, state, _, _ in outcomes) else 1


def _outcome_table(outcomes: list[tuple[dt.date, str, dict[str, str], float]]) -> str:
    lines = ["", "Day         Run      Seconds  Outcome"]
    for day, state, tasks, seconds in outcomes:
        if tasks.get("plan") == "skipped":
            outcome = "skipped: not an HKEX trading day"
        else:
            failed = sorted(task for task, task_state in tasks.items() if task_state == "failed")
            outcome = f"failed: {', '.join(failed)}" if failed else "loaded"
        lines.append(f"{day}  {state:<8} {seconds:>7.1f}  {outcome}")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
