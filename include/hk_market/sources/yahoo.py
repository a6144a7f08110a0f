"""Yahoo Finance through yfinance 1.x: one yf.download call, with what it logged per failed ticker.

`yf.download` never raises for a failed ticker: it logs `['0700.HK']: <reason>` to the `yfinance` logger and
returns NaN columns. So each call's log lines are captured: a rate limit retries the call with exponential backoff
(YFRateLimitError); a call in which every ticker failed to connect means the network is down (HostUnreachable, not
retried), or Yahoo is slow if they timed out (SourceUnavailable, retried). The datasets that read Yahoo (prices,
macro) download through it.

The call runs with yfinance's documented `yf.config.debug.hide_exceptions` off: with it on (the default) a failed
connection is logged as "possibly delisted; no price data found" for a ticker whose timezone yfinance has cached
(and "no timezone found" for most others), so no network would look like missing data. `session` is yf.download's
own parameter (None: yfinance makes its session).
"""

import ast
import datetime as dt
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from time import sleep
from typing import TYPE_CHECKING

import pandas as pd
import yfinance as yf
from yfinance.exceptions import YFRateLimitError

from hk_market.sources.errors import HostUnreachable, SourceUnavailable

if TYPE_CHECKING:
    from curl_cffi.requests import Session  # yf.download also takes a requests.Session

log = logging.getLogger(__name__)

YAHOO_HOST = "query2.finance.yahoo.com"  # the host yfinance 1.x downloads daily bars from
RATE_LIMIT_RETRIES = 3
RATE_LIMIT_BACKOFF_SECONDS = 30.0    # doubles on each retry
_RATE_LIMITED = ("YFRateLimitError", "Rate limited", "Too Many Requests")
_CONNECTION_FAILED = ("Could not resolve host", "Failed to resolve", "Failed to connect", "Couldn't connect",
                      "Failed to establish a new connection", "Connection refused")
_TIMED_OUT = ("timed out", "Timed out", "Timeout was reached")


def download(tickers: list[str], start: dt.date, end: dt.date,
             session: "Session | None" = None) -> tuple[pd.DataFrame, dict[str, str]]:
    """One yf.download call (end exclusive), retried on a rate limit; with what yfinance logged per failed ticker."""
    for attempt in range(RATE_LIMIT_RETRIES):
        try:
            return _download_once(tickers, start, end, session)
        except YFRateLimitError:
            delay = RATE_LIMIT_BACKOFF_SECONDS * 2**attempt
            log.warning("Yahoo Finance rate limit; retry %d of %d in %.0f s", attempt + 1, RATE_LIMIT_RETRIES, delay)
            sleep(delay)
    return _download_once(tickers, start, end, session)


def _download_once(tickers: list[str], start: dt.date, end: dt.date,
                   session: "Session | None") -> tuple[pd.DataFrame, dict[str, str]]:
    with _logged_failures() as reasons, _exceptions_reported():
        # actions: the "Stock Splits" field declares a split Yahoo re-scaled the earlier closes for (prices.parse)
        frame = yf.download(tickers, start=start.isoformat(), end=end.isoformat(), auto_adjust=False,
                            actions=True, group_by="column", threads=True, progress=False, session=session)
    if any(marker in reason for reason in reasons.values() for marker in _RATE_LIMITED):
        raise YFRateLimitError()
    failed_to_connect = [reason for reason in reasons.values()
                         if any(marker in reason for marker in _CONNECTION_FAILED + _TIMED_OUT)]
    if failed_to_connect and len(reasons) >= len(tickers):
        timed_out = [reason for reason in failed_to_connect if any(marker in reason for marker in _TIMED_OUT)]
        if timed_out:  # a host that answered slowly may answer a retry: only no connection at all is final
            raise SourceUnavailable(f"Yahoo Finance ({YAHOO_HOST}) timed out: {timed_out[0]}")
        raise HostUnreachable(YAHOO_HOST, failed_to_connect[0])
    return frame, reasons


@contextmanager
def _exceptions_reported() -> Iterator[None]:
    """yfinance reports each ticker's exception (its repr) instead of hiding it while the block runs."""
    hidden = yf.config.debug.hide_exceptions
    yf.config.debug.hide_exceptions = False
    try:
        yield
    finally:
        yf.config.debug.hide_exceptions = hidden


@contextmanager
def _logged_failures() -> Iterator[dict[str, str]]:
    """ticker -> reason for each failure yfinance logs while the block runs."""
    handler = _FailureLog()
    logger = logging.getLogger("yfinance")
    logger.addHandler(handler)
    try:
        yield handler.reasons
    finally:
        logger.removeHandler(handler)


class _FailureLog(logging.Handler):
    """Reads yfinance's `['A.HK', 'B.HK']: reason` error lines."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.reasons: dict[str, str] = {}

    def emit(self, record: logging.LogRecord) -> None:
        tickers, separator, reason = record.getMessage().partition("]: ")
        if separator and tickers.startswith("["):
            for ticker in ast.literal_eval(tickers + "]"):
                self.reasons[ticker] = reason
