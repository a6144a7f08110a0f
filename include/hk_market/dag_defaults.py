"""What every hk-market DAG shares: default_args, the writer pool, assets, the day a run is for.

Imported by DAG files at parse time, so it imports nothing heavy.
"""

import datetime as dt
import os
from zoneinfo import ZoneInfo

HK_TZ = ZoneInfo("Asia/Hong_Kong")
WRITER_POOL = "duckdb_writer"  # one slot: one DuckDB writer at a time
MART_TABLES = ("security_daily", "market_summary", "southbound_daily", "sector_daily", "theme_daily",
               "movers_daily")

DEFAULT_ARGS = {
    "owner": "hk-market",
    "retries": 1,
    "retry_delay": dt.timedelta(minutes=1),
    "execution_timeout": dt.timedelta(minutes=30),
}
# Upstreams fail transiently (timeouts, rate limits): retry with exponential backoff.
EXTRACT_RETRIES = {
    "retries": 3,
    "retry_delay": dt.timedelta(minutes=2),
    "retry_exponential_backoff": 2.0,
    "max_retry_delay": dt.timedelta(minutes=20),
}


def trade_day(logical_date: dt.datetime) -> dt.date:
    """The Hong Kong calendar day a run is for."""
    return logical_date.astimezone(HK_TZ).date()


def use_airflow_warehouse() -> None:
    """Point the library at the warehouse of the `duckdb_default` connection, when one is configured."""
    from airflow.providers.duckdb.hooks.duckdb import DuckDBHook

    database = DuckDBHook().get_database()
    if database != ":memory:":
        os.environ["HK_MARKET_WAREHOUSE"] = database
