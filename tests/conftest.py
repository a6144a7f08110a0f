"""Every test runs against temporary warehouse and landing paths, a temporary Airflow home and yfinance caches,
never the project's or the user's own. The environment is set here, before any test module is collected: a module
that imports Airflow at collection binds the process's Airflow to whatever AIRFLOW_HOME is set then."""

import os
import tempfile
from pathlib import Path

import pytest
import yfinance as yf

SCRATCH = Path(tempfile.mkdtemp(prefix="hk-market-tests-"))
os.environ["HK_MARKET_WAREHOUSE"] = str(SCRATCH / "default" / "hk_market.duckdb")
os.environ["HK_MARKET_LANDING"] = str(SCRATCH / "default" / "landing")
os.environ["HK_MARKET_REPORTS"] = str(SCRATCH / "default" / "reports")
os.environ.pop("HK_MARKET_SNAPSHOT", None)  # the snapshot goes beside whichever warehouse a test uses
os.environ["HK_MARKET_SOURCE"] = "sample"
os.environ.update({
    "AIRFLOW_HOME": str(SCRATCH / "airflow"),
    "AIRFLOW__CORE__DAGS_FOLDER": str(Path(__file__).resolve().parents[1] / "dags"),
    "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
    "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING",
})
os.environ.pop("AIRFLOW_CONN_DUCKDB_DEFAULT", None)
yf.set_tz_cache_location(str(SCRATCH / "yfinance"))  # yfinance's timezone and cookie caches, not the user's


@pytest.fixture
def scratch_warehouse(tmp_path, monkeypatch) -> Path:
    """An empty warehouse and landing zone of the test's own."""
    path = tmp_path / "warehouse" / "hk_market.duckdb"
    monkeypatch.setenv("HK_MARKET_WAREHOUSE", str(path))
    monkeypatch.setenv("HK_MARKET_LANDING", str(tmp_path / "landing"))
    monkeypatch.setenv("HK_MARKET_REPORTS", str(tmp_path / "reports"))
    return path
