"""Upstream shapes the source tests build: yfinance's download frame."""

import datetime as dt

import pandas as pd
import pytest


@pytest.fixture
def yfinance_frame():
    """build(closes, days): a frame shaped as yf.download(auto_adjust=False, group_by="column") returns it.

    closes maps a ticker to its close per day (None where it has none); a ticker that failed to
    download is all None, so all its columns are NaN, as yfinance 1.x leaves them.
    """
    def build(closes: dict[str, list[float | None]], days: list[dt.date]) -> pd.DataFrame:
        close = pd.DataFrame(closes, index=pd.DatetimeIndex(days, name="Date"), dtype="float64")
        fields = {"Adj Close": close, "Close": close, "High": close * 1.01, "Low": close * 0.98,
                  "Open": close * 0.99, "Volume": close * 0 + 1_000_000.0}
        return pd.concat(fields, axis=1, names=["Price", "Ticker"])

    return build
