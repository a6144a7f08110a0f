"""What the scheduler and an operator rely on before any run: the DAG parses, cheaply, and is wired right."""

import subprocess
import sys

import pytest
from airflow.sdk import CronTriggerTimetable

from .conftest import PROJECT

HEAVY = ("pandas", "numpy", "duckdb", "great_expectations", "yfinance", "exchange_calendars", "pyarrow")


@pytest.mark.parametrize("dag_file", ["hk_market_daily.py", "hk_market_backfill.py", "hk_market_reference.py"])
def test_dag_file_imports_nothing_heavy_at_parse_time(dag_file):
    check = (
        f"import runpy, sys; runpy.run_path('dags/{dag_file}'); "
        f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", check], cwd=PROJECT, capture_output=True, text=True, check=True)
    assert result.stdout.strip().splitlines()[-1:] in ([], [""]), result.stdout


def test_daily_dag_runs_on_weekdays_after_the_hong_kong_close(daily_dag):
    assert isinstance(daily_dag.timetable, CronTriggerTimetable)
    assert daily_dag.timetable.expression == "30 17 * * 1-5"
    assert str(daily_dag.timetable.timezone) == "Asia/Hong_Kong"
    assert not daily_dag.catchup


def test_daily_dag_is_documented_tagged_and_owned(daily_dag):
    assert "backfill" in daily_dag.doc_md
    assert {"hk-market", "daily"} <= set(daily_dag.tags)
    assert {task.owner for task in daily_dag.tasks} == {"hk-market"}


def test_extract_tasks_retry_with_exponential_backoff(daily_dag):
    for dataset in ("prices", "short_selling", "southbound", "macro"):
        task = daily_dag.get_task(f"extract_{dataset}")
        assert task.retries >= 2
        assert task.retry_exponential_backoff
        assert task.max_retry_delay


def test_validation_failures_are_not_retried(daily_dag):
    for dataset in ("prices", "short_selling", "southbound", "macro"):
        assert daily_dag.get_task(f"validate_{dataset}").retries == 0


def test_every_task_that_writes_the_warehouse_takes_the_one_writer_pool(daily_dag):
    writers = {"plan", "validate_prices", "validate_short_selling", "validate_southbound", "validate_macro", "load",
               "refresh_turnover", "publish"}
    assert {task.task_id for task in daily_dag.tasks if task.pool == "duckdb_writer"} == writers


def test_the_last_task_that_writes_the_marts_emits_one_asset_per_mart(daily_dag):
    uris = {asset.uri for asset in daily_dag.get_task("refresh_turnover").outlets}
    assert uris == {f"duckdb://hk_market/marts/{mart}" for mart in (
        "security_daily", "market_summary", "southbound_daily", "sector_daily", "theme_daily", "movers_daily",
        "macro_daily")}


def test_every_task_has_a_timeout(daily_dag):
    assert all(task.execution_timeout for task in daily_dag.tasks)
