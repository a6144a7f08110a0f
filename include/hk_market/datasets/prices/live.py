"""The live fetch: Yahoo Finance's daily bars through yfinance (prices.yahoo), and HKEX's Daily Quotations pages for
its printed turnover."""

import datetime as dt

import pandas as pd

from hk_market import reference, universe
from hk_market.datasets.prices import yahoo
from hk_market.datasets.prices.parse import Upstream, yahoo_ticker
from hk_market.datasets.request import Request


def fetch(request: Request) -> Upstream:
    """yfinance's frame of the sessions (yahoo_frame) and their Daily Quotations that HKEX has published."""
    return Upstream(yahoo_frame(request.sessions), fetch_daily_quotations(request), request.sessions)


def yahoo_frame(sessions: list[dt.date]) -> pd.DataFrame:
    """yf.download's frame for the universe and the three indices: the sessions and one of look-back."""
    securities = [yahoo_ticker(code) for code in universe.securities("live")["stock_code"]]
    return yahoo.daily_bars(sessions, securities, list(reference.indices()["yahoo_ticker"]))


def fetch_daily_quotations(request: Request) -> list[str]:
    """The sessions' Daily Quotations pages HKEX has published (kept in the request for short selling)."""
    return request.daily_quotations.fetch(request.sessions)
