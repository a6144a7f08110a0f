"""Alerts: one summary log line when a task fails, and when the daily run misses its deadline.

Both log through `hk_market.alerts`, so an operator greps one logger (or routes it to a pager). The
failure callback runs in the task's process (its line lands in the task log); the deadline callback
runs in the triggerer. Imported by DAG files at parse time, so it imports nothing heavy.
"""

import datetime as dt
import logging

from hk_market.settings import HK_TZ

log = logging.getLogger(__name__)


def log_task_failure(context) -> None:
    """`on_failure_callback`: log the DAG, task, trading day, try and cause of a failed task on one line."""
    ti = context["ti"]
    error = context.get("exception")
    if isinstance(error, BaseException):
        cause = f"{type(error).__name__}: {_first_line(error)}"
    else:  # a failure Airflow describes rather than raises (a killed task, a heartbeat timeout)
        cause = str(error or "unknown")
    log.error("hk-market task failed: dag=%s task=%s day=%s try=%s run=%s cause=%s", ti.dag_id, ti.task_id,
              _day(context.get("logical_date")), ti.try_number, ti.run_id, cause)


async def log_deadline_missed(context: dict, **_) -> None:
    """Deadline callback (run by the triggerer): the daily run had not finished by its deadline.

    `context` is what Airflow passes to deadline callbacks: the run (`dag_run`, as the REST API shows
    it) and the `deadline`. A backfill's deadlines are in the past as soon as its runs exist, so those
    are noted, not alerted.
    """
    run, deadline = context["dag_run"], context["deadline"]
    day = _day(run.get("logical_date"))
    if run.get("run_type") == "backfill":
        log.info("hk-market backfill run past its deadline (not alerted): dag=%s day=%s run=%s",
                 run["dag_id"], day, run["dag_run_id"])
        return
    log.error("hk-market deadline missed: dag=%s day=%s run=%s state=%s deadline=%s", run["dag_id"], day,
              run["dag_run_id"], run.get("state"), _hk_time(deadline["deadline_time"]))


def _day(logical_date: dt.datetime | str | None) -> str:
    """The Hong Kong day a run is for, from its logical date (ISO text when the run was serialised)."""
    return "none" if logical_date is None else _in_hong_kong(logical_date).date().isoformat()


def _hk_time(moment: dt.datetime | str) -> str:
    return _in_hong_kong(moment).strftime("%Y-%m-%d %H:%M HKT")


def _in_hong_kong(moment: dt.datetime | str) -> dt.datetime:
    return (dt.datetime.fromisoformat(moment) if isinstance(moment, str) else moment).astimezone(HK_TZ)


def _first_line(error: BaseException) -> str:
    """An exception's first line of text (validation errors go on to list every failed expectation)."""
    lines = str(error).strip().splitlines()
    return lines[0] if lines else "(no message)"
