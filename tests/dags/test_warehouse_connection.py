"""Airflow tasks take the warehouse from the project's connections: `hk_market_warehouse` (a DuckLake on
Postgres) when it exists, else `duckdb_default`; the Postgres password never shows in the warehouse's name."""

import json

from hk_market import settings
from hk_market.airflow_glue.dag_defaults import use_airflow_warehouse

LAKE = {"conn_type": "postgres", "host": "10.0.0.5", "port": 5432, "login": "hk", "password": "s3cret pass'word",
        "schema": "hk_lake", "extra": {"data_path": "s3://hk-market/lake/"}}


def test_a_hk_market_warehouse_connection_makes_the_tasks_use_its_ducklake(monkeypatch, tmp_path):
    monkeypatch.setenv("AIRFLOW_CONN_HK_MARKET_WAREHOUSE", json.dumps(LAKE))
    monkeypatch.setenv("AIRFLOW_CONN_DUCKDB_DEFAULT", json.dumps({"conn_type": "duckdb", "host": str(tmp_path)}))
    monkeypatch.setenv("HK_MARKET_WAREHOUSE", "unchanged")  # both restored after the test
    monkeypatch.setenv("HK_MARKET_LAKE_DATA", "unchanged")
    use_airflow_warehouse()
    assert settings.is_lake()
    assert settings.lake_data() == "s3://hk-market/lake/"
    assert settings.display_name() == ("ducklake:postgres:dbname=hk_lake host=10.0.0.5 port=5432 user=hk "
                                       "password=***")
    assert "password='s3cret pass\\'word'" in settings.warehouse_target()  # quoted as libpq reads it


def test_without_it_duckdb_default_still_names_the_file(monkeypatch, tmp_path):
    monkeypatch.delenv("AIRFLOW_CONN_HK_MARKET_WAREHOUSE", raising=False)
    monkeypatch.setenv("AIRFLOW_CONN_DUCKDB_DEFAULT", json.dumps({"conn_type": "duckdb",
                                                                  "host": str(tmp_path / "hk_market.duckdb")}))
    monkeypatch.setenv("HK_MARKET_WAREHOUSE", "unchanged")
    use_airflow_warehouse()
    assert not settings.is_lake()
    assert settings.warehouse_path() == tmp_path / "hk_market.duckdb"
