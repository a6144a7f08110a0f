"""Reference data from the curated seeds in include/seeds/: universe, indices, themes."""

from functools import cache

import pandas as pd

from hk_market import calendar
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
