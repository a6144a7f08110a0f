"""Reference data from the curated seeds in include/seeds/: universe, indices, themes."""

from functools import cache

import pandas as pd

from hk_market import calendar, settings
from hk_market.settings import SEEDS_DIR


def _read(name: str) -> pd.DataFrame:
    return pd.read_csv(SEEDS_DIR / f"{name}.csv", dtype=str, keep_default_na=False)


@cache
def securities() -> pd.DataFrame:
    """stock_code, name, sector, security_type, board: one row per security."""
    return _read("securities")


@cache
def indices() -> pd.DataFrame:
    """index_code, name, yahoo_ticker for HSI, HSCEI and HSTECH."""
    return _read("indices")


@cache
def index_constituents() -> pd.DataFrame:
    """index_code, stock_code: index membership."""
    return _read("index_constituents")


@cache
def themes() -> pd.DataFrame:
    """theme, stock_code: curated baskets; a security may be in several."""
    return _read("themes")


@cache
def sample_anchors() -> pd.DataFrame:
    """prev_close and close on the sample's anchor day, indexed by stock_code."""
    frame = _read("sample_anchors").set_index("stock_code")
    return frame.astype({"prev_close": float, "close": float})


def security_groups(universe: pd.DataFrame) -> pd.DataFrame:
    """group_type ('sector' or 'theme'), group_name, stock_code: what the group marts aggregate."""
    sectors = universe[["sector", "stock_code"]].rename(columns={"sector": "group_name"})
    return pd.concat([
        sectors.assign(group_type="sector"),
        themes().rename(columns={"theme": "group_name"}).assign(group_type="theme"),
    ], ignore_index=True)[["group_type", "group_name", "stock_code"]]


def trading_calendar() -> pd.DataFrame:
    """trade_date, prev_session, is_southbound_day for every XHKG session on the calendar."""
    cal = calendar.hk_calendar()
    days = calendar.sessions(cal.first_session.date(), cal.last_session.date())
    southbound = set(calendar.southbound_sessions(days[0], days[-1]))
    return pd.DataFrame({
        "trade_date": days,
        "prev_session": [None, *days[:-1]],
        "is_southbound_day": [day in southbound for day in days],
    })


def _loaded_securities() -> pd.DataFrame:
    """The curated securities, or the sample's full market when it is emitted (benchmarks)."""
    if not settings.sample_full_market():
        return securities()
    from hk_market.sample.market import universe

    return universe(full_market=True)[list(securities().columns)]


def load(con, source: str | None = None) -> None:
    """Replace the warehouse's reference tables with the seeds and the calendar; call in a transaction.

    Securities HKEX lists that the seeds lack join them once hk_market_reference has landed the source's list.
    """
    from hk_market import universe
    from hk_market.warehouse import replace_table

    listed = universe.listed(source)
    replace_table(con, "core.securities", universe.merge(_loaded_securities(), listed))
    replace_table(con, "core.indices", indices())
    replace_table(con, "core.index_constituents", index_constituents())
    replace_table(con, "core.security_groups", security_groups(universe.merge(securities(), listed)))
    replace_table(con, "core.trading_calendar", trading_calendar())
