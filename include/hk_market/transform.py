"""Rebuild core and mart tables for a window of sessions from the SQL models in include/sql/ (hk_market.models)."""

import datetime as dt

import duckdb

from hk_market import models
from hk_market.sql_text import quote_identifier

BUILD_ORDER = models.build_order()
# The only names rebuild() puts into SQL: each layer's models, in build order.
MODELS = {layer: tuple(m.name for m in BUILD_ORDER if m.layer == layer) for layer in models.LAYERS}
# The marts whose rows read earlier days, and how far past a window they are rebuilt: the short selling
# ratio's change reads the previous session (so the next loaded session, in the next year too), the
# year-to-date sums every session of the year (so the last loaded day of the window's year). Every other
# mart's day reads only that day, so it is rebuilt for the window alone.
MARTS_AFTER_WINDOW = {"market_summary": "next_session", "southbound_daily": "year_end"}


class BuildError(RuntimeError):
    """A model failed to build for a window of days: the days and the model are named, DuckDB's error follows."""


def model(layer: str, name: str) -> models.Model:
    """The model that builds <layer>.<name>; only for MODELS."""
    if name not in MODELS.get(layer, ()):
        raise ValueError(f"unknown model {layer!r}.{name!r}: expected one of {MODELS}")
    return next(m for m in BUILD_ORDER if m.layer == layer and m.name == name)


def rebuild(con: duckdb.DuckDBPyConnection, layer: str, name: str, first: dt.date, last: dt.date) -> None:
    """Replace the model's rows for trade dates first..last with what its select returns; for a mart, then check
    that no two of them share its grain. (A core model's grain is raw's, which validation checks before a load;
    the marts join reference tables, where a seed listing a security twice would double its rows. The check
    costs about as much CPU as copying the rows, so only the marts pay it on every build.)"""
    built = model(layer, name)  # checks the names first
    window, table = {"start": first, "end": last}, quote_identifier(layer, name)
    days = str(first) if first == last else f"{first}..{last}"
    try:
        con.execute(f"delete from {table} where trade_date between $start and $end", window)
        con.execute(f"insert into {table} by name ({built.select})", window)
        broken = con.execute(built.grain_breaks(), window).fetchall() if layer == "marts" else []
    except duckdb.Error as error:
        raise BuildError(f"building {built.table} for {days} failed: {error}") from error
    if broken:
        raise BuildError(f"building {built.table} for {days} failed: rows share its grain "
                         f"({', '.join(built.grain)}) on {', '.join(f'{day} ({rows} rows)' for day, rows in broken)}")


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
    for built in BUILD_ORDER:
        rebuild(con, built.layer, built.name, first, reach.get(MARTS_AFTER_WINDOW.get(built.name), last))
    return max(last, *reach.values())
