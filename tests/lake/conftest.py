"""A real PostgreSQL server (Debian's, installed with apt-get when missing) for the DuckLake tests: one per
session on 127.0.0.1, a new catalog database and data directory per test, stopped by pid at the end."""

import itertools
import shutil
import tempfile

import pytest

from hk_market import settings
from tests.services import postgres

_databases = itertools.count(1)


@pytest.fixture(scope="session")
def postgres_server():
    directory = tempfile.mkdtemp(prefix="hk-market-postgres-")  # not under pytest's 0700 tmp: postgres reads it
    try:
        yield postgres.start(directory)
    finally:
        postgres.stop(directory)
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def lake_warehouse(postgres_server, tmp_path, monkeypatch) -> str:
    """HK_MARKET_WAREHOUSE set to an empty DuckLake of the test's own (catalog database, data directory), with
    a landing zone and reports of its own; returns the setting (its conninfo has the password)."""
    target = settings.LAKE_PREFIX + postgres_server.create_database(f"lake_{next(_databases)}")
    monkeypatch.setenv("HK_MARKET_WAREHOUSE", target)
    monkeypatch.setenv("HK_MARKET_LAKE_DATA", str(tmp_path / "lake"))
    monkeypatch.setenv("HK_MARKET_LANDING", str(tmp_path / "landing"))
    monkeypatch.setenv("HK_MARKET_REPORTS", str(tmp_path / "reports"))
    monkeypatch.setenv("HK_MARKET_SNAPSHOT", str(tmp_path / "hk_market_analyst.duckdb"))  # never the project's
    return target
