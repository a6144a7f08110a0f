"""What every hk-market DAG shares: default_args, the writer pool, assets, the day a run is for.

Imported by DAG files at parse time, so it imports nothing heavy.
"""

import datetime as dt
import os

from airflow.sdk.definitions.retry_policy import ExceptionRetryPolicy, RetryAction, RetryRule

from hk_market.alerts import log_task_failure
from hk_market.settings import HK_TZ

WRITER_POOL = "duckdb_writer"  # one slot: one DuckDB writer at a time
WAREHOUSE_CONNECTION = "hk_market_warehouse"  # when it exists: the DuckLake's Postgres catalog (else duckdb_default)
SOURCE_VARIABLE = "hk_market_source"  # an Airflow Variable that, when set, overrides HK_MARKET_SOURCE
MART_TABLES = ("security_daily", "market_summary", "southbound_daily", "sector_daily", "theme_daily",
               "movers_daily", "macro_daily")

DEFAULT_ARGS = {
    "owner": "hk-market",
    "retries": 1,
    "retry_delay": dt.timedelta(minutes=1),
    "execution_timeout": dt.timedelta(minutes=30),
    "on_failure_callback": log_task_failure,  # one summary line per failed task, e-mailed via hk_market_alerts
}


class _RuleResolvedOnFailure(RetryRule):
    """A RetryRule that imports its exception's module when a task fails, not when the DAG is parsed.

    RetryRule imports it at once to warn about a typo; hk_market.sources would bring pandas into every
    DAG parse. The DAG tests check that the rule matches.
    """

    def __post_init__(self) -> None:
        pass


# Upstreams fail transiently (timeouts, rate limits, a report not out yet): retry those with exponential
# backoff. No network (HostUnreachable, a SourceUnavailable, so its rule comes first) fails at once, and so
# does everything else: bad data (wrong day, truncated file, too few prices) and a parser's own bug are the
# same on every try, so retrying them minutes later only hides the cause.
EXTRACT_RETRIES = {
    "retries": 3,
    "retry_delay": dt.timedelta(minutes=2),
    "retry_exponential_backoff": 2.0,
    "max_retry_delay": dt.timedelta(minutes=20),
    "retry_policy": ExceptionRetryPolicy(rules=[
        _RuleResolvedOnFailure(exception="hk_market.sources.errors.HostUnreachable", action=RetryAction.FAIL,
                               reason="no network: a retry minutes later will not reach the host"),
        _RuleResolvedOnFailure(
            exception=["hk_market.sources.errors.SourceUnavailable", "yfinance.exceptions.YFRateLimitError",
                       "builtins.TimeoutError", "builtins.ConnectionError"],
            action=RetryAction.DEFAULT, reason="the upstream may answer later"),
    ], default=RetryAction.FAIL),
}


def mart_assets() -> list:
    """One Airflow asset per mart table, emitted by every task that rebuilds the marts."""
    from airflow.sdk import Asset

    return [Asset(f"duckdb://hk_market/marts/{table}") for table in MART_TABLES]


def airflow_source() -> str:
    """The source to extract from: the Airflow Variable hk_market_source when set, else HK_MARKET_SOURCE.

    Read inside tasks (a Variable lookup at parse time would hit the metadata database on every parse).
    """
    from airflow.sdk import Variable

    from hk_market import settings

    return settings.source_name(Variable.get(SOURCE_VARIABLE, default=None))


def session_days(sessions: list[str]) -> list[dt.date]:
    """Sessions passed between tasks as ISO strings (XCom-friendly), back as dates."""
    return [dt.date.fromisoformat(day) for day in sessions]


def trade_day(logical_date: dt.datetime) -> dt.date:
    """The Hong Kong calendar day a run is for."""
    return logical_date.astimezone(HK_TZ).date()


def use_airflow_warehouse() -> None:
    """Point the library at the warehouse of the project's connections, when one is configured.

    The `hk_market_warehouse` connection, when it exists, names a DuckLake: its Postgres catalog database (conn
    type `postgres`; host, port, login, password, schema = the database) and in its extra `data_path` the lake's
    data (HK_MARKET_LAKE_DATA). Airflow masks its password in task logs, and the library logs the warehouse
    only by settings.display_name(), which hides it.

    Else `duckdb_default`: a file path is used as it is. A MotherDuck database (the hook's
    `md:<db>?motherduck_token=<token>`) becomes `md:<db>`, with the token in `motherduck_token`, where DuckDB's
    MotherDuck extension reads it, so the token never shows in a logged warehouse name.
    """
    from airflow.providers.duckdb.hooks.duckdb import DuckDBHook
    from airflow.sdk import BaseHook
    from airflow.sdk.exceptions import AirflowNotFoundException

    from hk_market import settings

    try:
        lake = BaseHook.get_connection(WAREHOUSE_CONNECTION)
    except AirflowNotFoundException:
        lake = None
    if lake is not None:
        os.environ["HK_MARKET_WAREHOUSE"] = settings.lake_target(
            dbname=lake.schema, host=lake.host, port=lake.port, user=lake.login, password=lake.password)
        if lake.extra_dejson.get("data_path"):
            os.environ["HK_MARKET_LAKE_DATA"] = lake.extra_dejson["data_path"]
        return
    database = DuckDBHook().get_database()
    if database == ":memory:":
        return
    database, _, token = database.partition("?motherduck_token=")
    if token:
        os.environ["motherduck_token"] = token
    os.environ["HK_MARKET_WAREHOUSE"] = database
