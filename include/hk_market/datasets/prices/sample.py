"""The sample fetch: the embedded market as yfinance's frame, and as HKEX's Daily Quotations pages."""

import datetime as dt

import numpy as np
import pandas as pd

from hk_market import reference
from hk_market.datasets.prices.parse import Upstream, yahoo_ticker
from hk_market.datasets.request import Request
from hk_market.hkex.figures import typical_turnover
from hk_market.sample import hkex_formats, market
from hk_market.sample.short_selling import short_selling


def fetch(request: Request) -> Upstream:
    """yfinance's frame of the sessions (yahoo_frame) and their Daily Quotations pages."""
    return Upstream(yahoo_frame(request.sessions, request.full_market), fetch_daily_quotations(request),
                    request.sessions)


def yahoo_frame(sessions: list[dt.date], full_market: bool = False) -> pd.DataFrame:
    """What yf.download(auto_adjust=False, actions=True) returns for the sessions plus one of look-back.

    Columns are (Price, Ticker) with Price in Adj Close, Close, Dividends, High, Low, Open, Stock Splits,
    Volume; the sample pays no dividends and has no splits, so Adj Close equals Close and Dividends and
    Stock Splits are 0 (yfinance's "none") on every row.
    """
    bars = market.daily_bars(sessions, full_market)
    index_tickers = dict(zip(reference.indices()["index_code"], reference.indices()["yahoo_ticker"], strict=True))
    tickers = [index_tickers.get(code) or yahoo_ticker(code) for code in bars.codes]
    none = np.zeros(bars.close.shape)
    fields = {"Adj Close": bars.close, "Close": bars.close, "Dividends": none, "High": bars.high, "Low": bars.low,
              "Open": bars.open, "Stock Splits": none, "Volume": bars.volume}
    return pd.DataFrame(
        np.concatenate([matrix.T.astype(float) for matrix in fields.values()], axis=1),
        index=pd.DatetimeIndex(bars.window, name="Date"),
        columns=pd.MultiIndex.from_product([list(fields), tickers], names=["Price", "Ticker"]),
    )


def fetch_daily_quotations(request: Request) -> list[str]:
    """One HKEX Daily Quotations page (Main Board) per session, from which the sample's prices take their
    turnover as live takes HKEX's: the pages print the estimate volume x typical price to the whole HK$.

    The full-market universe (benchmarks) publishes none and keeps the estimate, flagged: 2,600 stocks a
    page would add about 35 s of parsing to every 250-session chunk, which is not what the benchmark measures.
    """
    if request.full_market:
        return []
    sessions = request.sessions
    bars, universe = market.daily_bars(sessions), market.universe()
    stocks = np.isin(bars.codes, universe.loc[universe["board"] == "MAIN", "stock_code"])
    first = bars.window.index(sessions[0])  # 0 only for the calendar's first session: no previous close
    names = dict(zip(universe["stock_code"], universe["name"], strict=True))
    shorts = short_selling(bars, sessions)
    pages = []
    for column, day in enumerate(sessions, start=first):
        high, low, close = (matrix[stocks, column] for matrix in (bars.high, bars.low, bars.close))
        volume = bars.volume[stocks, column]
        previous = bars.close[stocks, column - 1] if column else np.full(len(close), np.nan)
        quotes = pd.DataFrame({"stock_code": bars.codes[stocks], "prev_close": previous, "close": close,
                               "high": high, "low": low, "volume": volume,
                               "turnover_hkd": typical_turnover(volume, high, low, close)})
        short = shorts[(shorts["trade_date"] == pd.Timestamp(day)) & (shorts["board"] == "MAIN")]
        pages.append(hkex_formats.render_daily_quotations(day, quotes, short, names))
    return pages
