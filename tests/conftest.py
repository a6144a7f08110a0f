"""Every test runs against temporary warehouse and landing paths, never the project's own."""

import os
import tempfile
from pathlib import Path

import pytest

SCRATCH = Path(tempfile.mkdtemp(prefix="hk-market-tests-"))
os.environ["HK_MARKET_WAREHOUSE"] = str(SCRATCH / "default" / "hk_market.duckdb")
os.environ["HK_MARKET_LANDING"] = str(SCRATCH / "default" / "landing")
os.environ["HK_MARKET_REPORTS"] = str(SCRATCH / "default" / "reports")
os.environ.pop("HK_MARKET_SNAPSHOT", None)  # the snapshot goes beside whichever warehouse a test uses
os.environ["HK_MARKET_SOURCE"] = "sample"


@pytest.fixture
def scratch_warehouse(tmp_path, monkeypatch) -> Path:
    """An empty warehouse and landing zone of the test's own."""
    path = tmp_path / "warehouse" / "hk_market.duckdb"
    monkeypatch.setenv("HK_MARKET_WAREHOUSE", str(path))
    monkeypatch.setenv("HK_MARKET_LANDING", str(tmp_path / "landing"))
    monkeypatch.setenv("HK_MARKET_REPORTS", str(tmp_path / "reports"))
    return path
