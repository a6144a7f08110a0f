"""The bulk backfill DAG, run with dag.test(), against the daily DAG run day by day."""

import datetime as dt

import duckdb
import pandas as pd
import pytest

from hk_market import calendar

from .conftest import PROJECT, pointed_at


@pytest.fixture(scope="module")
def backfill_dag(airflow_db):
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(str(PROJECT / "dags"))
    assert not bag.import_errors, bag.import_errors
    return bag.get_dag("hk_market_backfill")


def run_backfill(dag, warehouse, conf: dict) -> tuple[str, dict[str, str]]:
    with pointed_at(warehouse):
        run = dag.test(run_conf=conf)
    return str(run.state), {f"{ti.task_id}[{ti.map_index}]": str(ti.state) for ti in run.get_task_instances()}


def marts(warehouse) -> dict[str, pd.DataFrame]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return {name: con.execute(f"select * from marts.{name} order by all").df() for name in (
            "security_daily", "market_summary", "southbound_daily", "sector_daily", "theme_daily", "movers_daily")}


def test_bulk_backfill_equals_running_the_days_one_by_one(backfill_dag, run_daily, tmp_path):
    days = calendar.sessions(dt.date(2024, 11, 4), dt.date(2024, 11, 8))
    one_by_one = tmp_path / "daily" / "hk_market.duckdb"
    for day in days:
        state, tasks = run_daily(day, one_by_one)
        assert state == "success", tasks
    bulk = tmp_path / "bulk" / "hk_market.duckdb"
    # The first daily run also loaded the session before the range, so the bulk run starts there too.
    state, tasks = run_backfill(backfill_dag, bulk, {"start": "2024-11-01", "end": "2024-11-08",
                                                      "chunk_sessions": 2})
    assert state == "success", tasks
    assert sum(1 for task in tasks if task.startswith("chunk.load_chunk")) == 3
    daily_marts, bulk_marts = marts(one_by_one), marts(bulk)
    for name, frame in daily_marts.items():
        pd.testing.assert_frame_equal(frame, bulk_marts[name], check_exact=True, obj=name)


def test_bad_params_fail_the_plan_before_any_work(backfill_dag, tmp_path):
    warehouse = tmp_path / "hk_market.duckdb"
    state, tasks = run_backfill(backfill_dag, warehouse, {"start": "2024-11-08", "end": "2024-11-01"})
    assert state == "failed"
    assert tasks["plan[-1]"] == "failed"
    assert not warehouse.exists()


def test_every_chunk_uses_the_source_read_once_by_plan(backfill_dag, tmp_path, monkeypatch):
    from hk_market import backfill

    real_extract_chunk = backfill.extract_chunk

    def extract_then_flip_the_source(*args, **kwargs):
        rows = real_extract_chunk(*args, **kwargs)
        monkeypatch.setenv("HK_MARKET_SOURCE", "live")  # an operator switches source while the run is going
        return rows

    monkeypatch.delenv("HK_MARKET_SOURCE", raising=False)
    monkeypatch.setattr(backfill, "extract_chunk", extract_then_flip_the_source)
    warehouse = tmp_path / "hk_market.duckdb"
    state, tasks = run_backfill(backfill_dag, warehouse, {"start": "2024-11-11", "end": "2024-11-14",
                                                          "chunk_sessions": 2})
    assert state == "success", tasks
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("select distinct source from raw.prices").fetchall() == [("sample",)]
