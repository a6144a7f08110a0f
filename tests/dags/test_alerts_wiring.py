"""The alerts are wired into the daily DAG: every task's failure callback, and the 19:00 HKT deadline."""

import asyncio
import datetime as dt
import logging

from airflow.sdk import AsyncCallback, DeadlineReference
from airflow.triggers.callback import CallbackTrigger

from hk_market.alerts import log_task_failure
from hk_market.dag_defaults import HK_TZ
from tests.test_alerts import deadline_context


def test_every_task_of_the_daily_dag_logs_a_summary_when_it_fails(daily_dag):
    assert {task.task_id: task.on_failure_callback for task in daily_dag.tasks} == {
        task.task_id: [log_task_failure] for task in daily_dag.tasks}


def test_the_daily_run_has_a_deadline_of_19_00_hkt(daily_dag):
    [alert] = daily_dag.deadline
    assert alert.reference == DeadlineReference.DAGRUN_LOGICAL_DATE
    assert daily_dag.timetable.expression.startswith("30 17 ")  # a scheduled run's logical date is 17:30 HKT
    deadline = dt.datetime(2024, 11, 14, 17, 30, tzinfo=HK_TZ) + alert.interval
    assert deadline == dt.datetime(2024, 11, 14, 19, 0, tzinfo=HK_TZ)
    assert isinstance(alert.callback, AsyncCallback)
    assert alert.callback.path == "hk_market.alerts.log_deadline_missed"


def test_the_triggerer_runs_the_deadline_callback_by_its_path_and_it_logs(daily_dag, caplog):
    [alert] = daily_dag.deadline
    trigger = CallbackTrigger(callback_path=alert.callback.path,
                              callback_kwargs={**alert.callback.kwargs, "context": deadline_context("scheduled")})
    with caplog.at_level(logging.ERROR, logger="hk_market.alerts"):
        events = asyncio.run(_events(trigger))
    assert events[-1]["state"] == "success", events
    assert [record.getMessage().split(":")[0] for record in caplog.records] == ["hk-market deadline missed"]


async def _events(trigger: CallbackTrigger) -> list[dict]:
    return [event.payload async for event in trigger.run()]

