"""The live source's fetch for each upstream: Yahoo Finance through yfinance, and HKEX's files.

Each returns the upstream's own shape, as the sample source does, for the same parsers.
"""

import datetime as dt

import pandas as pd

from hk_market import reference, universe
from hk_market.sources.live import yahoo
from hk_market.sources.live.hkex import (
    fetch_daily_quotations,
    fetch_list_of_securities,
    fetch_short_selling,
    fetch_southbound,
)
from hk_market.sources.prices import yahoo_ticker

__all__ = ["fetch_daily_quotations", "fetch_list_of_securities", "fetch_prices", "fetch_short_selling",
           "fetch_southbound"]


def fetch_prices(sessions: list[dt.date]) -> pd.DataFrame:
    """yf.download's frame for the universe and the three indices: the sessions and one of look-back."""
    securities = [yahoo_ticker(code) for code in universe.securities("live")["stock_code"]]
    return yahoo.daily_bars(sessions, securities, list(reference.indices()["yahoo_ticker"]))
