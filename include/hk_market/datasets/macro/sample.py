"""The macro dataset's sample fetch: an invented, deterministic series of each driver, offline, in the shape
yf.download returns (see parse.py).

Each driver's level on a calendar day is its level on ANCHOR_DAY times exp(x), where x is a mean-reverting
random walk (AR(1), a fixed seed per driver) that is exactly 0 on ANCHOR_DAY: on 2024-11-14 Bitcoin closes at
91,051, the reference wrap's figure, and the other levels are plausible for November 2024 (the dollar index
about 106, gold about US$2,560-2,620, USD/CNH about 7.22-7.24). A driver has a bar on its own trading days only:
Bitcoin every day, the dollar index and gold on NYSE trading days (XNYS: ICE's and COMEX's holidays are the
same days but for a few hours' difference), USD/CNH on weekdays.
"""

import datetime as dt
from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd

from hk_market.datasets.macro.parse import Upstream, window
from hk_market.datasets.request import Request

ANCHOR_DAY = dt.date(2024, 11, 14)
FIRST_DAY, LAST_DAY = dt.date(2000, 1, 1), dt.date(2099, 12, 31)  # the days the series covers
REVERSION = 0.9  # of x from one day to the next: keeps levels near the anchor's over the years


@dataclass(frozen=True)
class Driver:
    anchor_close: float  # its close on ANCHOR_DAY
    daily_volatility: float  # of the log level, a day
    decimals: int  # as Yahoo prints it
    volume: float  # a day: Yahoo prints 0 for the dollar index and currencies
    calendar: str  # "every day", "XNYS" or "weekdays"
    seed: int


DRIVERS = {
    "DX-Y.NYB": Driver(106.69, 0.003, 3, 0.0, "XNYS", 1),
    "GC=F": Driver(2572.60, 0.006, 1, 150_000.0, "XNYS", 29),
    "BTC-USD": Driver(91_051.0, 0.02, 2, 55e9, "every day", 164),
    "CNH=X": Driver(7.2312, 0.0015, 4, 0.0, "weekdays", 9),
}


def fetch(request: Request) -> Upstream:
    """The sessions' bars (yahoo_frame)."""
    return Upstream(yahoo_frame(request.sessions), request.sessions)


def yahoo_frame(sessions: list[dt.date]) -> pd.DataFrame:
    """What yf.download(auto_adjust=False, actions=True) returns for the drivers over parse.window(sessions):
    Adj Close equals Close, no dividends or splits; Open is the previous close, High and Low the larger and
    smaller of the two."""
    first, end = window(sessions)
    days = pd.date_range(first, end - dt.timedelta(days=1), freq="D")
    close = pd.DataFrame({ticker: closes(ticker, days) for ticker in DRIVERS}, index=days)
    close = close.dropna(how="all")
    previous = pd.DataFrame({ticker: closes(ticker, days, shift=1) for ticker in DRIVERS}, index=days).loc[close.index]
    previous = previous.where(close.notna())
    none = close * 0  # 0 where the ticker trades, NaN where it does not, as yfinance
    fields = {"Adj Close": close, "Close": close, "Dividends": none, "High": np.fmax(close, previous),
              "Low": np.fmin(close, previous), "Open": previous, "Stock Splits": none,
              "Volume": none + pd.Series({ticker: driver.volume for ticker, driver in DRIVERS.items()})}
    frame = pd.concat(fields, axis=1, names=["Price", "Ticker"])
    return frame.rename_axis(index="Date")


def closes(ticker: str, days: pd.DatetimeIndex, shift: int = 0) -> np.ndarray:
    """The ticker's close on each of the days (NaN where it does not trade); with shift=1, its close on its
    trading day before each (NaN where it does not trade on that day)."""
    driver = DRIVERS[ticker]
    if days.min().date() < FIRST_DAY or days.max().date() > LAST_DAY:
        raise ValueError(f"macro: the sample covers {FIRST_DAY} to {LAST_DAY}, not {days.min():%Y-%m-%d}")
    trading = _trading_days(driver.calendar)
    levels = np.round(driver.anchor_close * np.exp(_walk(ticker)), driver.decimals)
    position = trading.searchsorted(days) - shift
    is_trading = np.isin(days, trading)
    return np.where(is_trading & (position >= 0), levels[(trading[position.clip(0)] - _FIRST).days], np.nan)


_FIRST = pd.Timestamp(FIRST_DAY)


@cache
def _trading_days(calendar: str) -> pd.DatetimeIndex:
    every_day = pd.date_range(FIRST_DAY, LAST_DAY, freq="D")
    if calendar == "every day":
        return every_day
    if calendar == "weekdays":
        return every_day[every_day.dayofweek < 5]
    import exchange_calendars as xc

    us = xc.get_calendar(calendar, start="2000-01-01")
    return us.sessions.tz_localize(None) if us.sessions.tz is not None else us.sessions


@cache
def _walk(ticker: str) -> np.ndarray:
    """x for every calendar day from FIRST_DAY to LAST_DAY: AR(1) away from 0 on ANCHOR_DAY, both ways."""
    driver = DRIVERS[ticker]
    shocks = np.random.default_rng(driver.seed).normal(0.0, driver.daily_volatility, (LAST_DAY - FIRST_DAY).days + 1)
    anchor = (ANCHOR_DAY - FIRST_DAY).days
    walk = np.zeros(len(shocks))
    for day in range(anchor + 1, len(walk)):
        walk[day] = REVERSION * walk[day - 1] + shocks[day]
    for day in range(anchor - 1, -1, -1):
        walk[day] = REVERSION * walk[day + 1] + shocks[day]
    return walk
