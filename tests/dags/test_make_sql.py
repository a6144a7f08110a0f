"""`make sql`: harlequin's DuckDB adapter, as the Makefile installs it, opens the analyst snapshot read-only.

The terminal UI itself needs a terminal; this drives the adapter it runs queries through, with the
options `make sql` passes (--adapter duckdb --read-only), on a snapshot the real DAG built.
"""

import pytest
from harlequin.exception import HarlequinQueryError
from harlequin_duckdb import DuckDbAdapter

from hk_market import snapshot


@pytest.fixture(scope="module")
def harlequin(wrap_warehouse, tmp_path_factory):
    path = snapshot.publish(wrap_warehouse, tmp_path_factory.mktemp("sql") / "hk_market_analyst.duckdb")
    return DuckDbAdapter(conn_str=(str(path),), read_only=True, no_init=True).connect()


def test_harlequin_reads_the_duckdb_2_snapshot_that_the_pipeline_publishes(harlequin):
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
