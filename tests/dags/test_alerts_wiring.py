"""The alerts are wired into the daily DAG: every task's failure callback, and the 19:00 HKT deadline."""

import asyncio
import datetime as dt
import logging

from airflow.sdk import AsyncCallback, DeadlineReference
from airflow.triggers.callback import CallbackTrigger

from hk_market.airflow_glue.alerts import log_task_failure
from hk_market.airflow_glue.dag_defaults import HK_TZ
from hk_market.datasets.short_selling import sample as short_selling_sample
from tests.test_alerts import WRAP_RUN, deadline_context, text_of
from tests.test_alerts import smtp_inbox as smtp_inbox  # a fixture

from ..test_bad_inputs import BAD_INPUTS
from .conftest import WRAP_DAY


def test_every_task_of_the_daily_dag_logs_a_summary_when_it_fails(daily_dag):
    assert {task.task_id: task.on_failure_callback for task in daily_dag.tasks} == {
        task.task_id: [log_task_failure] for task in daily_dag.tasks}


def test_a_run_is_due_90_minutes_after_it_is_queued_19_00_hkt_for_the_scheduled_run(daily_dag):
    """Counted from the queue time, not the logical date: a past day run today is not born late."""
    [alert] = daily_dag.deadline
    assert alert.reference == DeadlineReference.DAGRUN_QUEUED_AT
    assert daily_dag.timetable.expression.startswith("30 17 ")  # a scheduled run is queued at 17:30 HKT
    deadline = dt.datetime(2024, 11, 14, 17, 30, tzinfo=HK_TZ) + alert.interval
    assert deadline == dt.datetime(2024, 11, 14, 19, 0, tzinfo=HK_TZ)
    assert "90 minutes" in alert.name  # the UI's own rule text rounds the interval to "2 hours"
    assert isinstance(alert.callback, AsyncCallback)
    assert alert.callback.path == "hk_market.airflow_glue.alerts.log_deadline_missed"


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



def test_a_real_runs_failed_task_and_its_missed_deadline_reach_the_on_call_by_email(
    run_daily, daily_dag, smtp_inbox, tmp_path, monkeypatch
):
    """A run of the real DAG whose short selling fails validation e-mails its failure from the task's callback;
    the deadline callback, given the context the scheduler builds for that run, e-mails through the triggerer."""
    from airflow.api_fastapi.core_api.datamodels.dag_run import DAGRunResponse
    from airflow.models import DagRun
    from airflow.utils.session import create_session

    bad = BAD_INPUTS["short_selling: short turnover above total turnover"]
    fetch = short_selling_sample.fetch
    monkeypatch.setattr(short_selling_sample, "fetch", lambda *args, **kwargs: bad.payload(fetch(*args, **kwargs)))
    state, tasks = run_daily(WRAP_DAY, tmp_path / "hk_market.duckdb")
    assert (state, tasks["validate_short_selling"]) == ("failed", "failed"), tasks

    [failure] = map(text_of, smtp_inbox.messages)
    assert failure.splitlines()[0] == "[hk-market] hk_market_daily.validate_short_selling failed for 2024-11-14"
    assert "cause=" in failure and "short_selling" in failure.split("cause=")[1]
    assert "/dags/hk_market_daily/runs/manual__" in failure and "/tasks/validate_short_selling" in failure  # its log

    with create_session() as session:  # the context Deadline.handle_miss hands the triggerer
        run = session.query(DagRun).filter_by(dag_id="hk_market_daily", logical_date=WRAP_RUN).one()
        context = {"dag_run": DAGRunResponse.model_validate(run).model_dump(mode="json"),
                   "deadline": {"id": "0193", "deadline_time": run.start_date + daily_dag.deadline[0].interval}}
    [alert] = daily_dag.deadline
    trigger = CallbackTrigger(callback_path=alert.callback.path, callback_kwargs={**alert.callback.kwargs,
                                                                                 "context": context})
    assert asyncio.run(_events(trigger))[-1]["state"] == "success"
    deadline = text_of(smtp_inbox.messages[1])
    assert deadline.splitlines()[0] == "[hk-market] hk_market_daily missed its deadline for 2024-11-14"
    assert "day=2024-11-14" in deadline and "state=failed" in deadline
