"""Airflow for the DAG tests: the temporary AIRFLOW_HOME (tests/conftest.py) with a migrated metadata database
and the pool, so tests never touch a real deployment."""

import datetime as dt
import json
import os
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[2]
WRAP_DAY = dt.date(2024, 11, 14)
AIRFLOW_HOME = Path(os.environ["AIRFLOW_HOME"])  # temporary, set by tests/conftest.py before collection


def airflow(*args: str) -> None:
    airflow_bin = Path(sys.executable).with_name("airflow")
    subprocess.run([str(airflow_bin), *args], check=True, capture_output=True, env=os.environ)


@pytest.fixture(scope="session")
def airflow_db() -> Path:
    airflow("db", "migrate")
    airflow("pools", "set", "duckdb_writer", "1", "One DuckDB writer at a time")
    return AIRFLOW_HOME


@pytest.fixture(scope="session")
def daily_dag(airflow_db):
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(str(PROJECT / "dags"))
    assert not bag.import_errors, bag.import_errors
    return bag.get_dag("hk_market_daily")


@contextmanager
def pointed_at(warehouse: Path):
    """Aim the library and the duckdb_default connection at a warehouse (landing, snapshot, reports beside it)."""
    settings = {
        "HK_MARKET_WAREHOUSE": str(warehouse),
        "HK_MARKET_LANDING": str(warehouse.parent / "landing"),
        "HK_MARKET_REPORTS": str(warehouse.parent / "reports"),
        "AIRFLOW_CONN_DUCKDB_DEFAULT": json.dumps({"conn_type": "duckdb", "host": str(warehouse)}),
    }
    saved = {name: os.environ.get(name) for name in settings}
    os.environ.update(settings)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@pytest.fixture(scope="session")
def run_daily(daily_dag):
    """Run the real DAG with dag.test() for a day into a warehouse; returns the run's and tasks' states."""
    from hk_market.airflow_glue.run_days import run_dag

    def run(day: dt.date, warehouse: Path) -> tuple[str, dict[str, str]]:
        with pointed_at(warehouse):
            ran = run_dag(daily_dag, day)
        return ran.state, ran.tasks

    return run


@pytest.fixture(scope="session")
def wrap_warehouse(run_daily, tmp_path_factory) -> Path:
    """The DAG run once for 2024-11-14 into an empty warehouse."""
    warehouse = tmp_path_factory.mktemp("wrap") / "hk_market.duckdb"
    state, tasks = run_daily(WRAP_DAY, warehouse)
    assert state == "success", tasks
    return warehouse


def query(warehouse: Path, sql: str, params: dict | None = None) -> list[tuple]:
    import duckdb

    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql, params or {}).fetchall()
