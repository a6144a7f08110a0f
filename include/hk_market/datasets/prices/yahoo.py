"""The prices' daily bars from Yahoo Finance: downloads in batches (hk_market.sources.yahoo, which retries a rate
limit and tells no network from a slow Yahoo), failed tickers counted: a ticker without a close on a requested
session counts against settings.min_price_coverage(). An index must always be there: a failed index ticker is tried
under INDEX_FALLBACKS and otherwise fails the day.

Hang Seng TECH: Yahoo lists it as HSTECH.HK (the seeds' ticker) and has also served it as ^HSTECH,
so that is the fallback. An ETF tracking it (03033, 03032) is not a fallback: its price is not the
index level, so close and change would be wrong.
"""

import datetime as dt
import logging
from typing import TYPE_CHECKING

import pandas as pd

from hk_market import calendar, settings
from hk_market.datasets.prices.parse import hong_kong_sessions
from hk_market.sources.errors import NotPublished, SourceDataError
from hk_market.sources.yahoo import download

if TYPE_CHECKING:
    from curl_cffi.requests import Session  # yf.download also takes a requests.Session

log = logging.getLogger(__name__)

CHUNK_SIZE = 200                     # tickers per yf.download call
INDEX_FALLBACKS = {"HSTECH.HK": ("^HSTECH",)}
LISTED_FAILURES = 20                 # failed tickers named in an error; the rest are counted


class PriceCoverageError(SourceDataError):
    """Too few tickers (or an index) have a close for a requested session."""


def daily_bars(sessions: list[dt.date], securities: list[str], indices: list[str],
               session: "Session | None" = None) -> pd.DataFrame:
    """yf.download's frame for the tickers over the sessions and one session of look-back, with its actions
    (the "Stock Splits" field, which parse() lands as split_ratio); session is yf.download's (None: its own).

    Raises NotPublished when Yahoo has no bar at all for a session yet, and PriceCoverageError naming
    the failed tickers when an index has no close on a session (after its fallbacks) or when the
    share of securities with a close on every session is below settings.min_price_coverage(); fewer
    failures are logged as a warning.
    """
    frame, reasons = _download(securities + indices, sessions, session)
    served = set(hong_kong_sessions(frame.index).date)
    absent = [day for day in sessions if day not in served]
    if served and absent:
        raise NotPublished(f"Yahoo Finance has no daily bars for {_days(absent)} yet")
    for ticker in _failed(frame, indices, sessions):
        frame = _with_fallback(frame, ticker, sessions, session)
    failed_indices = _failed(frame, indices, sessions)
    if failed_indices:
        raise PriceCoverageError(f"prices: no index close for {_days(sessions)}: {_listing(failed_indices, reasons)}")
    failed = _failed(frame, securities, sessions)
    coverage = 1 - len(failed) / len(securities) if securities else 1.0
    if coverage < settings.min_price_coverage():
        raise PriceCoverageError(
            f"prices: {len(failed)} of {len(securities)} securities have no close for {_days(sessions)}, coverage "
            f"{coverage:.1%} is below HK_MARKET_MIN_PRICE_COVERAGE {settings.min_price_coverage():.0%}: "
            f"{_listing(failed, reasons)}"
        )
    if failed:
        log.warning("prices: %d of %d securities have no close for %s (coverage %.1f%%): %s",
                    len(failed), len(securities), _days(sessions), 100 * coverage, _listing(failed, reasons))
    return frame


def _download(tickers: list[str], sessions: list[dt.date],
              session: "Session | None") -> tuple[pd.DataFrame, dict[str, str]]:
    """One yf.download call per chunk of tickers, joined; with what yfinance logged per failed ticker."""
    start = calendar.previous_session(min(sessions))
    end = max(sessions) + dt.timedelta(days=1)  # yfinance's end is exclusive
    frames, reasons = [], {}
    for first in range(0, len(tickers), CHUNK_SIZE):
        frame, chunk_reasons = download(tickers[first : first + CHUNK_SIZE], start, end, session)
        frames.append(frame)
        reasons.update(chunk_reasons)
    return pd.concat(frames, axis=1).sort_index(axis=1), reasons


def _failed(frame: pd.DataFrame, tickers: list[str], sessions: list[dt.date]) -> list[str]:
    """The tickers without a close on every requested session."""
    closes = frame["Close"] if "Close" in frame.columns.get_level_values(0) else pd.DataFrame(index=frame.index)
    closes = closes.set_axis(hong_kong_sessions(closes.index))
    wanted = closes.reindex(index=pd.DatetimeIndex(sessions), columns=tickers)
    missing = wanted.isna().any()
    return list(missing.index[missing])


def _with_fallback(frame: pd.DataFrame, ticker: str, sessions: list[dt.date],
                   session: "Session | None") -> pd.DataFrame:
    """The frame with a failed index ticker's columns taken from the first fallback that has them."""
    for fallback in INDEX_FALLBACKS.get(ticker, ()):
        alternative, _ = _download([fallback], sessions, session)
        if not _failed(alternative, [fallback], sessions):
            log.warning("prices: %s has no close for %s; using %s instead", ticker, _days(sessions), fallback)
            renamed = alternative.rename(columns={fallback: ticker}, level="Ticker")
            kept = frame.drop(columns=ticker, level="Ticker", errors="ignore")
            return pd.concat([kept, renamed], axis=1).sort_index(axis=1)
    return frame


def _days(sessions: list[dt.date]) -> str:
    return ", ".join(day.isoformat() for day in sessions)


def _listing(tickers: list[str], reasons: dict[str, str]) -> str:
    named = [f"{ticker} ({reasons.get(ticker, 'no close')})" for ticker in tickers[:LISTED_FAILURES]]
    more = f" and {len(tickers) - LISTED_FAILURES} more" if len(tickers) > LISTED_FAILURES else ""
    return ", ".join(named) + more
