"""`make sql`: harlequin's DuckDB adapter, as the Makefile installs it, opens the analyst snapshot read-only,
and so does DuckDB's own CLI from the duckdb-cli wheel (.venv/bin/duckdb -readonly).

The terminal UI itself needs a terminal; this drives the adapter it runs queries through, with the
options `make sql` passes (--adapter duckdb --read-only), on a snapshot the real DAG built.
"""

import subprocess
import sys
from pathlib import Path

import pytest
from harlequin.exception import HarlequinQueryError
from harlequin_duckdb import DuckDbAdapter

from hk_market import snapshot

DUCKDB_CLI = Path(sys.executable).with_name("duckdb")


@pytest.fixture(scope="module")
def published(wrap_warehouse, tmp_path_factory) -> Path:
    return snapshot.publish(wrap_warehouse, tmp_path_factory.mktemp("sql") / "hk_market_analyst.duckdb")


@pytest.fixture(scope="module")
def harlequin(published):
    return DuckDbAdapter(conn_str=(str(published),), read_only=True, no_init=True).connect()


def duckdb_cli(path: Path, sql: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(DUCKDB_CLI), "-readonly", "-csv", str(path), sql], capture_output=True, text=True,
                          timeout=60, check=False)


def test_the_duckdb_cli_reads_the_published_snapshot_read_only(published):
    version = subprocess.run([str(DUCKDB_CLI), "--version"], capture_output=True, text=True, check=True).stdout
    assert version.startswith("v1.5.5")
    shown = duckdb_cli(published, "select index_code, round(change_pct, 2) as change_pct from marts.market_summary "
                                  "where trade_date = date '2024-11-14' order by index_code")
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.splitlines() == ["index_code,change_pct", "HSCEI,-2.21", "HSI,-1.96", "HSTECH,-3.08"]
    refused = duckdb_cli(published, "create table marts.scratch as select 1 as x")
    assert refused.returncode != 0 and "read-only" in refused.stderr


def test_harlequin_reads_the_snapshot_that_the_pipeline_publishes(harlequin):
    cursor = harlequin.execute("select index_code, close, round(change_pct, 2) as change_pct from marts.market_summary "
                               "where trade_date = date '2024-11-14' order by index_code")
    assert cursor.fetchall().to_pylist() == [
        {"index_code": "HSCEI", "close": 6973.08, "change_pct": -2.21},
        {"index_code": "HSI", "close": 19435.81, "change_pct": -1.96},
        {"index_code": "HSTECH", "close": 4318.32, "change_pct": -3.08},
    ]


def test_harlequin_cannot_write_to_the_snapshot(harlequin):
    with pytest.raises(HarlequinQueryError, match="read-only"):
        harlequin.execute("create table marts.scratch as select 1 as x")
