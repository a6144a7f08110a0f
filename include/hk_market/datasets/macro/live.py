"""The macro dataset's live fetch: the drivers' daily bars from Yahoo Finance through yf.download.

Downloads go through hk_market.sources.yahoo, as prices' do: a rate limit retries with backoff, no
connection at all raises HostUnreachable naming Yahoo's host, a timeout SourceUnavailable (retried). A ticker
yfinance could not fetch is named in a warning and has no rows (the wrap prints n/a for it).
"""

import logging

from hk_market.datasets.macro.parse import Upstream, window
from hk_market.datasets.macro.schema import INSTRUMENTS
from hk_market.datasets.request import Request
from hk_market.sources import yahoo

log = logging.getLogger(__name__)


def fetch(request: Request) -> Upstream:
    """yf.download's frame of the drivers from LOOKBACK_DAYS before the first session to the last."""
    sessions = request.sessions
    start, end = window(sessions)
    frame, failures = yahoo.download(list(INSTRUMENTS), start, end)
    for ticker, reason in failures.items():
        log.warning("macro %s..%s: Yahoo Finance has no bars for %s (%s); the wrap prints n/a for it",
                    sessions[0], sessions[-1], ticker, reason)
    return Upstream(frame, sessions)
