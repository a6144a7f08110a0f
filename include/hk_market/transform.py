"""Rebuild core and mart tables for a window of sessions from the SQL models in include/sql/."""

import datetime as dt

import duckdb

from hk_market import settings
from hk_market.sql_text import quote_identifier

CORE_MODELS = ("security_prices", "index_prices", "short_selling", "southbound", "macro_closes")
# In dependency order: later marts read marts.security_daily.
MART_MODELS = ("security_daily", "market_summary", "southbound_daily", "sector_daily", "theme_daily",
               "movers_daily", "macro_daily")
MODELS = {"core": CORE_MODELS, "marts": MART_MODELS}  # the only names rebuild() puts into SQL
# The marts whose rows read earlier days, and how far past a window they are rebuilt: the short selling
# ratio's change reads the previous session (so the next loaded session, in the next year too), the
# year-to-date sums every session of the year (so the last loaded day of the window's year). Every other
# mart's day reads only that day, so it is rebuilt for the window alone.
MARTS_AFTER_WINDOW = {"market_summary": "next_session", "southbound_daily": "year_end"}


class BuildError(RuntimeError):
    """A model failed to build for a window of days: the days and the model are named, DuckDB's error follows."""


def model_sql(layer: str, model: str) -> str:
    """The select statement of a model file, include/sql/<layer>/<model>.sql; only for MODELS."""
    if model not in MODELS.get(layer, ()):
        raise ValueError(f"unknown model {layer!r}.{model!r}: expected one of {MODELS}")
    return (settings.SQL_DIR / layer / f"{model}.sql").read_text()


def rebuild(con: duckdb.DuckDBPyConnection, layer: str, model: str, first: dt.date, last: dt.date) -> None:
    """Replace the model's rows for trade dates first..last with what its select returns."""
    window, select = {"start": first, "end": last}, model_sql(layer, model)  # checks the names first
    table = quote_identifier(layer, model)
    try:
        con.execute(f"delete from {table} where trade_date between $start and $end", window)
        con.execute(f"insert into {table} by name ({select})", window)
    except duckdb.Error as error:
        days = str(first) if first == last else f"{first}..{last}"
        raise BuildError(f"building {layer}.{model} for {days} failed: {error}") from error


def build_window(con: duckdb.DuckDBPyConnection, first: dt.date, last: dt.date) -> dt.date:
    """Rebuild core and marts for first..last, and MARTS_AFTER_WINDOW as far past it as their later days
    depend on it; call inside a transaction (the load's, so a day is in raw only with its marts; on a DuckLake,
    a retry after a conflict reads the reach again, so it covers a day another writer committed meanwhile).
    Returns the marts' last day rebuilt."""
    next_session, year_end = con.execute(
        "select min(trade_date), max(trade_date) filter (where year(trade_date) = year($last::date)) "
        "from raw.prices where trade_date > $last",
        {"last": last},
    ).fetchone()
    reach = {"next_session": next_session or last, "year_end": year_end or last}
    for model in CORE_MODELS:
        rebuild(con, "core", model, first, last)
    for model in MART_MODELS:
        rebuild(con, "marts", model, first, reach.get(MARTS_AFTER_WINDOW.get(model), last))
    return max(last, *reach.values())
