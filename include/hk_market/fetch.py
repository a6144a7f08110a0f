"""A dataset's rows from a source: the source's fetch, then the dataset's parser.

The two sources, chosen by settings.source_name(), differ only in their fetch functions (each dataset's live and
sample modules): `sample` renders the embedded offline market, `live` downloads from Yahoo Finance and HKEX. Both
return each upstream's own shape, and the same parser turns it into the dataset's landing frame. A source's
modules are imported when it is first asked for (yfinance only by a live run).
"""

import datetime as dt

import pandas as pd

from hk_market import registry, settings
from hk_market.datasets.request import Request
from hk_market.hkex import daily_quotations
from hk_market.hkex.pages import DailyQuotations


def landing_frame(dataset: str, sessions: list[dt.date], source: str | None = None, full_market: bool = False,
                  pages: DailyQuotations | None = None) -> pd.DataFrame:
    """Fetch the sessions from the source and parse them into the dataset's landing frame.

    full_market: the sample emits its full-market universe (benchmarks). pages: the live Daily Quotations an
    extract's datasets share (prices fetches them, short selling of earlier sessions reads them); a new one if
    not given.
    """
    request = Request(sessions, full_market, pages or DailyQuotations())
    fetched = registry.part(dataset, settings.source_name(source)).fetch(request)
    return registry.part(dataset, "parse").landing(fetched)


def published_turnover(sessions: list[dt.date], source: str | None = None) -> pd.DataFrame:
    """HKEX's printed per-stock turnover (daily_quotations.TURNOVER_SCHEMA) of the sessions whose Daily
    Quotations are out."""
    prices = registry.part("prices", settings.source_name(source))
    return daily_quotations.parse_many(prices.fetch_daily_quotations(Request(sessions)))


def publishes_turnover_late(source: str | None = None) -> bool:
    """Whether the source's turnover can come out after its prices (live: HKEX's Daily Quotations, in the
    evening), so a run may load an estimate to replace later; the sample's pages come with its prices."""
    return settings.source_name(source) == "live"
