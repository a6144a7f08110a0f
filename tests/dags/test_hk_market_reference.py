"""The weekly hk_market_reference DAG, and how every extract task treats the live source's failures."""

import datetime as dt
from pathlib import Path

import pytest
from airflow.sdk import CronTriggerTimetable
from airflow.sdk.definitions.retry_policy import RetryAction
from yfinance.exceptions import YFRateLimitError

from hk_market.airflow_glue.dag_defaults import HK_TZ
from hk_market.hkex import pages
from hk_market.sources.errors import HostUnreachable, NotPublished, SourceDataError, SourceUnavailable

from .conftest import PROJECT, pointed_at, query

WORKBOOK = PROJECT / "tests" / "fixtures" / "hkex_list_of_securities" / "ListOfSecurities.xlsx"
SATURDAY = dt.datetime(2024, 11, 16, 8, 0, tzinfo=HK_TZ)


@pytest.fixture(scope="session")
def reference_dag(airflow_db):
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(str(PROJECT / "dags"))
    assert not bag.import_errors, bag.import_errors
    return bag.get_dag("hk_market_reference")


def run(dag, warehouse: Path) -> dict[str, str]:
    with pointed_at(warehouse):
        dag_run = dag.test(logical_date=SATURDAY)
    return {ti.task_id: str(ti.state) for ti in dag_run.get_task_instances()}


def test_reference_dag_runs_weekly_in_hong_kong_time_documented_tagged_and_owned(reference_dag):
    assert isinstance(reference_dag.timetable, CronTriggerTimetable)
    assert reference_dag.timetable.expression == "0 8 * * 6"
    assert str(reference_dag.timetable.timezone) == "Asia/Hong_Kong"
    assert not reference_dag.catchup
    assert "Unclassified" in reference_dag.doc_md
    assert {"hk-market", "reference"} <= set(reference_dag.tags)
    assert {task.owner for task in reference_dag.tasks} == {"hk-market"}


def test_only_the_task_that_writes_the_warehouse_takes_the_writer_pool(reference_dag):
    assert {task.task_id for task in reference_dag.tasks if task.pool == "duckdb_writer"} == {"load_universe"}


@pytest.mark.parametrize("dag_id, task_ids", [
    ("hk_market_daily", ["extract_prices", "extract_short_selling", "extract_southbound", "extract_macro"]),
    ("hk_market_backfill", ["chunk.extract_chunk"]),
    ("hk_market_reference", ["extract_list_of_securities"]),
])
def test_extracts_retry_what_may_pass_later_and_fail_no_network_and_bad_data_at_once(reference_dag, dag_id, task_ids):
    from airflow.dag_processing.dagbag import DagBag

    dag = DagBag(str(PROJECT / "dags")).get_dag(dag_id)
    for task_id in task_ids:
        policy = dag.get_task(task_id).retry_policy
        assert policy.evaluate(HostUnreachable("www.hkex.com.hk", "DNS"), 1, 4).action == RetryAction.FAIL
        assert policy.evaluate(SourceDataError("wrong day"), 1, 4).action == RetryAction.FAIL
        assert policy.evaluate(ValueError("truncated"), 1, 4).action == RetryAction.FAIL
        assert policy.evaluate(TypeError("a parser's bug"), 1, 4).action == RetryAction.FAIL
        transient = (NotPublished("HTTP 404"), SourceUnavailable("HTTP 503"), YFRateLimitError(), TimeoutError())
        for error in transient:
            assert policy.evaluate(error, 1, 4).action == RetryAction.DEFAULT


def test_no_network_fails_with_one_message_naming_the_host_and_how_to_run_offline():
    message = str(HostUnreachable("www.hkex.com.hk", "Failed to resolve 'www.hkex.com.hk'"))
    assert message.startswith("could not reach www.hkex.com.hk: Failed to resolve 'www.hkex.com.hk'. ")
    assert "HK_MARKET_SOURCE=sample" in message
    assert "airflow variables set hk_market_source sample" in message


def test_with_the_sample_source_its_own_list_is_landed_and_the_seeds_are_loaded(reference_dag, tmp_path):
    warehouse = tmp_path / "hk_market.duckdb"
    assert run(reference_dag, warehouse) == {"extract_list_of_securities": "success", "load_universe": "success"}
    assert (tmp_path / "landing" / "sample" / "reference" / "list_of_securities.parquet").exists()
    assert query(warehouse, "select count(*) from core.securities where sector = 'Unclassified'") == [(0,)]
    assert query(warehouse, "select count(*) from core.securities")[0][0] > 150


def test_the_airflow_variable_switches_to_live_and_the_list_reaches_the_warehouse(
    reference_dag, tmp_path, monkeypatch
):
    monkeypatch.setenv("AIRFLOW_VAR_HK_MARKET_SOURCE", "live")
    monkeypatch.setattr(pages, "list_of_securities", WORKBOOK.read_bytes)
    warehouse = tmp_path / "hk_market.duckdb"
    assert run(reference_dag, warehouse) == {"extract_list_of_securities": "success", "load_universe": "success"}
    assert query(warehouse, "select stock_code, name, sector, board from core.securities "
                            "where sector = 'Unclassified' order by 1") == [
        ("00008", "PCCW", "Unclassified", "MAIN"),
        ("07200", "FL2 CSOP HSI", "Unclassified", "MAIN"),
        ("08083", "YOUZAN", "Unclassified", "GEM"),
    ]
