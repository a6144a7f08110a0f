"""Upstream shapes the source tests build (yfinance's download frame), and Yahoo refusing every connection."""

import datetime as dt
import socket

import pandas as pd
import pytest
import yfinance as yf


@pytest.fixture
def yfinance_frame():
    """build(closes, days, splits=None): a frame shaped as yf.download(auto_adjust=False, group_by="column")
    returns it, or with splits as yf.download(..., actions=True) does.

    closes maps a ticker to its close per day (None where it has none); a ticker that failed to
    download is all None, so all its columns are NaN, as yfinance 1.x leaves them. splits maps a ticker
    to its "Stock Splits" per day (yfinance's ratio on an ex-date, 0 otherwise); given, every other ticker
    gets 0 on each day it has a close, and the frame also has yfinance's "Dividends" field (0).
    """
    def build(closes: dict[str, list[float | None]], days: list[dt.date],
              splits: dict[str, list[float]] | None = None) -> pd.DataFrame:
        close = pd.DataFrame(closes, index=pd.DatetimeIndex(days, name="Date"), dtype="float64")
        fields = {"Adj Close": close, "Close": close, "High": close * 1.01, "Low": close * 0.98,
                  "Open": close * 0.99, "Volume": close * 0 + 1_000_000.0}
        if splits is not None:
            declared = close * 0
            for ticker, ratios in splits.items():
                declared[ticker] = ratios
            fields = {**fields, "Dividends": close * 0, "Stock Splits": declared}
        return pd.concat(dict(sorted(fields.items())), axis=1, names=["Price", "Ticker"])

    return build


@pytest.fixture
def yahoo_refused():
    """yfinance's own session, through its documented proxy setting, to a local port that is bound but not
    listening: each connection is refused at once."""
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        saved = yf.config.network.proxy
        yf.config.network.proxy = f"http://127.0.0.1:{closed.getsockname()[1]}"
        try:
            yield
        finally:
            yf.config.network.proxy = saved
