"""The alert callbacks: one line an operator can act on, from the context Airflow hands them."""

import asyncio
import datetime as dt
import logging
from types import SimpleNamespace

from hk_market.alerts import log_deadline_missed, log_task_failure

UTC = dt.UTC
WRAP_RUN = dt.datetime(2024, 11, 14, 9, 30, tzinfo=UTC)  # 17:30 HKT


def failure_context(error: BaseException | str) -> dict:
    """What the task runner passes on_failure_callback (the parts the alert reads)."""
    ti = SimpleNamespace(dag_id="hk_market_daily", task_id="validate_prices", try_number=1,
                         run_id="scheduled__2024-11-14T09:30:00+00:00")
    return {"ti": ti, "task_instance": ti, "logical_date": WRAP_RUN, "exception": error}


def deadline_context(run_type: str) -> dict:
    """What the scheduler passes a deadline callback: the run as the REST API shows it, and the deadline."""
    return {
        "dag_run": {"dag_id": "hk_market_daily", "dag_run_id": f"{run_type}__2024-11-14T09:30:00+00:00",
                    "logical_date": "2024-11-14T09:30:00Z", "run_type": run_type, "state": "running"},
        "deadline": {"id": "0193", "deadline_time": dt.datetime(2024, 11, 14, 11, 0, tzinfo=UTC)},
    }


def test_a_failed_task_logs_dag_task_day_and_cause_on_one_line(caplog):
    error = ValueError("prices for 2024-11-14 failed validation:\n  expect_column_values_to_be_between(close)")
    with caplog.at_level(logging.ERROR, logger="hk_market.alerts"):
        log_task_failure(failure_context(error))
    [record] = caplog.records
    assert record.getMessage() == (
        "hk-market task failed: dag=hk_market_daily task=validate_prices day=2024-11-14 try=1 "
        "run=scheduled__2024-11-14T09:30:00+00:00 cause=ValueError: prices for 2024-11-14 failed validation:"
    )


def test_a_failure_without_an_exception_still_names_its_cause(caplog):
    with caplog.at_level(logging.ERROR, logger="hk_market.alerts"):
        log_task_failure(failure_context("Task exceeded its execution_timeout"))
    assert caplog.records[0].getMessage().endswith("cause=Task exceeded its execution_timeout")


def test_a_missed_deadline_logs_the_day_and_the_deadline_in_hong_kong_time(caplog):
    with caplog.at_level(logging.INFO, logger="hk_market.alerts"):
        asyncio.run(log_deadline_missed(context=deadline_context("scheduled")))
    [record] = caplog.records
    assert record.levelno == logging.ERROR
    assert record.getMessage() == (
        "hk-market deadline missed: dag=hk_market_daily day=2024-11-14 run=scheduled__2024-11-14T09:30:00+00:00 "
        "state=running deadline=2024-11-14 19:00 HKT"
    )


def test_a_backfill_past_its_deadline_is_noted_not_alerted(caplog):
    with caplog.at_level(logging.INFO, logger="hk_market.alerts"):
        asyncio.run(log_deadline_missed(context=deadline_context("backfill")))
    [record] = caplog.records
    assert record.levelno == logging.INFO
    assert "not alerted" in record.getMessage() and "day=2024-11-14" in record.getMessage()
