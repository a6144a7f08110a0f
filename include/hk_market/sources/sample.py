"""The sample source's fetch for each dataset: the embedded market in each upstream's own shape."""

import datetime as dt

import pandas as pd

from hk_market import reference
from hk_market.sample import hkex_formats, market
from hk_market.sample.short_selling import short_selling
from hk_market.sample.southbound import southbound
from hk_market.sources.prices import PRICE_FIELDS, yahoo_ticker


def fetch_prices(sessions: list[dt.date], full_market: bool = False) -> pd.DataFrame:
    """A yfinance-shaped frame (Price x Ticker columns) for the sessions plus one of look-back."""
    bars = market.daily_bars(sessions, full_market).frame
    tickers = dict(zip(reference.indices()["index_code"], reference.indices()["yahoo_ticker"], strict=True))
    bars["Ticker"] = bars["stock_code"].map(lambda code: tickers.get(code) or yahoo_ticker(code))
    wide = bars.rename(columns=str.capitalize).pivot(index="Trade_date", columns="Ticker", values=list(PRICE_FIELDS))
    wide.index = pd.DatetimeIndex(wide.index, name="Date")
    return wide.rename_axis(columns=["Price", "Ticker"])


def fetch_short_selling(sessions: list[dt.date], full_market: bool = False) -> list[str]:
    """One HKEX short selling daily report (HTML with fixed-width text) per session."""
    bars = market.daily_bars(sessions, full_market)
    rows = short_selling(bars, sessions, full_market)
    names = dict(zip(market.universe(full_market)["stock_code"], market.universe(full_market)["name"], strict=True))
    by_day = dict(tuple(rows.groupby(rows["trade_date"].dt.date)))
    empty = rows.iloc[:0]
    return [hkex_formats.render_short_selling_report(day, by_day.get(day, empty), names) for day in sessions]


def fetch_southbound(sessions: list[dt.date]) -> list[str]:
    """One HKEX Stock Connect daily statistics file (`tabData = [...]`) per session."""
    return [hkex_formats.render_stock_connect_js(day, flows) for day, flows in southbound(sessions).items()]
