"""The macro landing frame from a yfinance-shaped frame of the drivers' daily bars.

The raw payload is what `yfinance.download(tickers, start, end, auto_adjust=False, actions=True,
group_by="column")` returns: columns a (Price, Ticker) MultiIndex, rows a DatetimeIndex named Date, one row per
day any of the tickers traded, NaN where a ticker did not (yfinance's daily rows carry each exchange's own date).
It must reach back LOOKBACK_DAYS before the first session, so that each session's close and the close before
it are in it even after a long holiday. A ticker whose column is all NaN (yfinance's failed download) has no
rows: the wrap prints n/a for it.
Bad input raises SourceDataError naming the dataset, the day (where one is at fault) and what is wrong.
"""

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from hk_market.datasets.macro.schema import LANDING_SCHEMA
from hk_market.sources.errors import SourceDataError

LOOKBACK_DAYS = 10  # calendar days: the longest US or weekend closure plus the close before it


def window(sessions: list[dt.date]) -> tuple[dt.date, dt.date]:
    """The days to download for the sessions, as yfinance takes them: first day, and the day after the last
    (yfinance's end is exclusive)."""
    return min(sessions) - dt.timedelta(days=LOOKBACK_DAYS), max(sessions) + dt.timedelta(days=1)


@dataclass(frozen=True)
class Upstream:
    """What a fetch returns: the drivers' bars over window(sessions), and the sessions they were fetched for."""

    bars: pd.DataFrame
    sessions: list[dt.date]


def landing(raw: Upstream) -> pd.DataFrame:
    """One row per session and ticker with a close on or before it: that latest close, its date, and the
    ticker's close on its trading day before."""
    closes = _closes(raw.bars)
    wanted = pd.DatetimeIndex(sorted(raw.sessions))
    frames = []
    for ticker in closes.columns:
        own = closes[ticker].dropna()  # the ticker's own trading days
        latest = own.index.searchsorted(wanted, side="right") - 1
        found = latest >= 0
        previous = np.where(latest >= 1, latest - 1, 0)
        frames.append(pd.DataFrame({
            "trade_date": wanted[found],
            "instrument": ticker,
            "close_date": own.index[latest[found]],
            "close": own.to_numpy()[latest[found]],
            "prev_close": np.where(latest[found] >= 1, own.to_numpy()[previous[found]], np.nan),
        }))
    frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=list(LANDING_SCHEMA))
    return frame.astype(LANDING_SCHEMA).sort_values(["trade_date", "instrument"], ignore_index=True)


def _closes(raw: pd.DataFrame) -> pd.DataFrame:
    """The Close field as a (day, ticker) frame of floats, rows the tickers' own dates in order."""
    if not isinstance(raw, pd.DataFrame) or raw.columns.nlevels != 2:
        raise SourceDataError("macro: the frame's columns are not yfinance's (Price, Ticker) pairs")
    if "Close" not in raw.columns.get_level_values(0):
        raise SourceDataError("macro: the frame has no Close column")
    closes = raw["Close"]
    if closes.columns.duplicated().any():
        raise SourceDataError(f"macro: the frame has {closes.columns[closes.columns.duplicated()][0]}'s Close twice")
    try:
        dates = pd.DatetimeIndex(closes.index)
    except (TypeError, ValueError, OverflowError):
        raise SourceDataError(
            f"macro: the frame's rows are not dated: its index starts {list(closes.index[:3])}") from None
    if dates.hasnans:
        raise SourceDataError("macro: the frame has a row without a date")
    dates = (dates.tz_localize(None) if dates.tz is not None else dates).normalize()  # each exchange's own day
    numbers = closes.apply(pd.to_numeric, errors="coerce").set_axis(dates)
    for ticker in closes.columns:
        broken = numbers[ticker].isna().to_numpy() & closes[ticker].notna().to_numpy()
        if broken.any():
            raise SourceDataError(f"macro: {ticker} on {numbers.index[broken][0]:%Y-%m-%d} has a close that is not a "
                             f"number: {closes[ticker].to_numpy()[broken][0]!r}")
        traded = numbers[ticker].dropna().index
        if traded.has_duplicates:
            raise SourceDataError(f"macro: {ticker} has two closes dated {traded[traded.duplicated()][0]:%Y-%m-%d}")
    return numbers.sort_index(kind="stable").astype("float64")
