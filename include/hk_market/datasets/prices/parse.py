"""Daily bars for securities and indices, from a yfinance-shaped frame.

The raw payload is what `yfinance.download(tickers, start, end, auto_adjust=False, actions=True,
group_by="column")` returns: columns are a (Price, Ticker) MultiIndex, rows a DatetimeIndex named Date. It
must hold one session before the first requested one, so each day's prev_close is known even on the first
load into an empty warehouse.

Splits: Yahoo's Close is split-adjusted even with auto_adjust=False. On a split's, consolidation's or bonus
issue's ex-date it re-scales every earlier close by the ratio, so that day's prev_close (the look-back's close)
is the close loaded for that session divided by the ratio. actions=True adds the "Stock Splits" field, the
ratio (new shares per old: 2.0 for a 2-for-1 split, 0.1 for a 10-to-1 consolidation, 1.1 for a 1-for-10 bonus
issue) on the ex-date and 0 on other days; it lands as split_ratio, 1.0 where none was declared (0, or a
payload without the field, such as one recorded before it was requested), so validation can tell a declared
split from broken data.

turnover_hkd: yfinance publishes no turnover. The live source passes HKEX's own per-stock turnover
from the Daily Quotations report (hkex.daily_quotations), so short selling ratios divide by the
turnover HKEX counts; the sample renders those pages too. A security HKEX did not print (GEM, a non-HKD
counter, a day whose report is not out yet, the sample's full-market universe) gets the estimate volume
times the typical price (high + low + close) / 3, and turnover_estimated true, so a run can replace it once
HKEX's is out.
Indices have no turnover.
"""

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from hk_market import reference, settings
from hk_market.datasets.prices.schema import LANDING_SCHEMA
from hk_market.hkex import daily_quotations
from hk_market.hkex.figures import typical_turnover
from hk_market.sources.errors import SourceDataError, StalePage

PRICE_FIELDS = ("Open", "High", "Low", "Close", "Volume")
SPLITS_FIELD = "Stock Splits"  # with actions=True: the split ratio on its ex-date, 0 on other days
VOLUME_CEILING = 1e15  # shares a day: HKEX's busiest counters trade about 1e10


def yahoo_ticker(stock_code: str) -> str:
    """'00700' -> '0700.HK': Yahoo uses four digits for HKEX codes below 10000."""
    return f"{int(stock_code):04d}.HK"


def stock_code(ticker: str, index_codes: dict[str, str]) -> str:
    """'0700.HK' -> '00700'; an index ticker ('^HSI') -> its index code via index_codes."""
    if ticker in index_codes:
        return index_codes[ticker]
    number, _, suffix = str(ticker).partition(".")
    if suffix != "HK" or not (number.isascii() and number.isdigit()) or len(number) > 5:
        raise SourceDataError(f"prices: {ticker!r} is not a Hong Kong ticker")
    return f"{int(number):05d}"


@dataclass(frozen=True)
class Upstream:
    """What a source fetches for prices: yfinance's frame of the sessions (with look-back) and HKEX's Daily
    Quotations pages of those it has published."""

    bars: pd.DataFrame
    daily_quotations: list[str]
    sessions: list[dt.date]


def landing(raw: Upstream) -> pd.DataFrame:
    """The landing frame of what a source fetched: parse() of its bars, with the turnover its pages print."""
    index_codes = dict(zip(reference.indices()["yahoo_ticker"], reference.indices()["index_code"], strict=True))
    return parse(raw.bars, raw.sessions, index_codes, daily_quotations.parse_many(raw.daily_quotations))


def parse(raw: pd.DataFrame, sessions: list[dt.date], index_codes: dict[str, str],
          published_turnover: pd.DataFrame | None = None) -> pd.DataFrame:
    """The landing frame for the requested sessions from a yfinance-shaped frame with look-back.

    A ticker with no close on a day (a failed download, a suspension) has no row that day; its
    prev_close is its last close before the day. published_turnover (trade_date, stock_code,
    turnover_hkd as HKEX printed them) replaces the estimated turnover where it has a row.
    """
    tickers, dates, matrix = _read_frame(raw)
    close = matrix["Close"]
    prev_close = pd.DataFrame(close).ffill().shift(1).to_numpy()
    keep = ~np.isnan(close) & dates.isin(pd.DatetimeIndex(sessions))[:, None]  # day-major, like the frame
    volume = _volume(matrix["Volume"], keep, tickers, dates)
    split_ratio = _split_ratio(matrix.get(SPLITS_FIELD), keep, tickers, dates)
    codes = pa.array([stock_code(ticker, index_codes) for ticker in tickers], pa.large_string())
    turnover = typical_turnover(volume, matrix["High"], matrix["Low"], close)
    turnover[:, np.isin(tickers, list(index_codes))] = np.nan
    frame = pd.DataFrame({
        "trade_date": np.repeat(dates.to_numpy(), len(tickers)).reshape(close.shape)[keep],
        "stock_code": pd.arrays.ArrowStringArray(codes.take(np.broadcast_to(np.arange(len(codes)), close.shape)[keep])),
        "open": matrix["Open"][keep],
        "high": matrix["High"][keep],
        "low": matrix["Low"][keep],
        "close": close[keep],
        "prev_close": prev_close[keep],
        "volume": np.round(volume[keep]),
        "turnover_hkd": turnover[keep],
        "turnover_estimated": ~np.isnan(turnover[keep]),
        "split_ratio": split_ratio[keep],
    }).astype(LANDING_SCHEMA)
    if published_turnover is not None and len(published_turnover):
        _check_pages_are_of_the_sessions(published_turnover, sessions)
        printed = _published(frame, published_turnover)
        frame["turnover_hkd"] = printed.fillna(frame["turnover_hkd"])
        frame["turnover_estimated"] &= printed.isna()
    return frame


def _read_frame(raw: pd.DataFrame) -> tuple[pd.Index, pd.DatetimeIndex, dict[str, np.ndarray]]:
    """The tickers, the Hong Kong session of each row and each price field as a (day, ticker) matrix."""
    fields = raw.columns.get_level_values(0)
    missing = [field for field in PRICE_FIELDS if field not in fields]
    if missing:
        raise SourceDataError(f"prices: the frame has no {', '.join(missing)} column(s)")
    if raw.columns.nlevels != 2:
        raise SourceDataError("prices: the frame's columns are not yfinance's (Price, Ticker) pairs")
    if raw.columns.duplicated().any():
        twice = raw.columns[raw.columns.duplicated()][0]
        raise SourceDataError(f"prices: the frame has the column {twice} twice")
    tickers = raw["Close"].columns
    matrix = {}
    for field in (*PRICE_FIELDS, SPLITS_FIELD) if SPLITS_FIELD in fields else PRICE_FIELDS:
        try:
            matrix[field] = raw[field].reindex(columns=tickers).to_numpy(dtype="float64")
        except (TypeError, ValueError):
            raise SourceDataError(f"prices: the frame's {field} values are not all numbers") from None
    return tickers, hong_kong_sessions(raw.index), matrix


def hong_kong_sessions(index: pd.Index) -> pd.DatetimeIndex:
    """Each row's session: its date, in Hong Kong for a timezone-aware index (yfinance's is 00:00 HKT)."""
    try:
        dates = pd.DatetimeIndex(index)
    except (TypeError, ValueError, OverflowError):
        raise SourceDataError(f"prices: the frame's rows are not dated: its index starts {list(index[:3])}") from None
    if dates.tz is not None:
        dates = dates.tz_convert(settings.HK_TZ).tz_localize(None)
    if dates.hasnans:
        raise SourceDataError("prices: the frame has a row without a date")
    return dates.normalize()


def _volume(volume: np.ndarray, kept: np.ndarray, tickers: pd.Index, dates: pd.DatetimeIndex) -> np.ndarray:
    """The volume matrix, NaN as 0 where a ticker has no close; SourceDataError for a kept row (one with a close)
    without a volume or with one out of range."""
    out_of_range = ~np.isnan(volume) & ~(np.abs(volume) < VOLUME_CEILING)
    for broken, what in ((np.isnan(volume), "a close but no volume"),
                         (out_of_range, f"a volume out of range (at or above {VOLUME_CEILING:g} shares)")):
        day, ticker = np.nonzero(broken & kept)
        if len(day):
            more = f", and {len(day) - 1} more row(s)" if len(day) > 1 else ""
            raise SourceDataError(f"prices: {tickers[ticker[0]]} on {dates[day[0]]:%Y-%m-%d} has {what}: volume "
                                  f"{volume[day[0], ticker[0]]:g}{more}")
    return np.nan_to_num(volume)


def _split_ratio(splits: np.ndarray | None, kept: np.ndarray, tickers: pd.Index, dates: pd.DatetimeIndex
                 ) -> np.ndarray:
    """The split ratio matrix, 1.0 where Yahoo declared none (0) or the payload has no Stock Splits field;
    SourceDataError for a kept row (one with a close) whose ratio is missing, infinite or negative."""
    if splits is None:
        return np.ones(kept.shape)
    day, ticker = np.nonzero(~(np.isfinite(splits) & (splits >= 0)) & kept)
    if len(day):
        more = f", and {len(day) - 1} more row(s)" if len(day) > 1 else ""
        raise SourceDataError(f"prices: {tickers[ticker[0]]} on {dates[day[0]]:%Y-%m-%d} has a Stock Splits ratio "
                              f"that is not a number at or above 0: {splits[day[0], ticker[0]]:g}{more}")
    return np.where(splits > 0, splits, 1.0)


def _check_pages_are_of_the_sessions(published_turnover: pd.DataFrame, sessions: list[dt.date]) -> None:
    """StalePage if HKEX's Daily Quotations came for a day that is not a requested session (the page of an
    earlier day served for a later one): the session's own is not out yet, so its turnover waits and retries."""
    printed = set(pd.DatetimeIndex(published_turnover["trade_date"]).date)
    other = sorted(printed - set(sessions))
    if other:
        waiting = sorted(set(sessions) - printed) or sorted(sessions)
        days = str(waiting[0]) if len(waiting) == 1 else f"{waiting[0]}..{waiting[-1]}"
        raise StalePage(f"prices {days}: HKEX's Daily Quotations not published yet: the page served is of {other[0]}")


def _published(frame: pd.DataFrame, published_turnover: pd.DataFrame) -> pd.Series:
    """Each row's published turnover, NaN where HKEX printed none; SourceDataError where it printed two."""
    keys = ["trade_date", "stock_code"]
    lookup = published_turnover.astype({key: LANDING_SCHEMA[key] for key in keys}).set_index(keys)["turnover_hkd"]
    if not lookup.index.is_unique:
        day, code = lookup.index[lookup.index.duplicated()][0]
        raise SourceDataError(f"prices: HKEX's Daily Quotations of {day:%Y-%m-%d} print {code}'s turnover twice")
    return pd.Series(lookup.reindex(pd.MultiIndex.from_frame(frame[keys])).to_numpy(), index=frame.index)
