"""Daily bars for securities and indices, from a yfinance-shaped frame.

The raw payload is what `yfinance.download(tickers, start, end, auto_adjust=False, group_by="column")`
returns: columns are a (Price, Ticker) MultiIndex, rows a DatetimeIndex named Date. It must hold
one session before the first requested one, so each day's prev_close is known even on the first
load into an empty warehouse. yfinance publishes no turnover, so turnover_hkd is volume times the
typical price (high + low + close) / 3.
"""

import datetime as dt

import pandas as pd

LANDING_SCHEMA = {
    "trade_date": "datetime64[s]",   # the session (date, midnight)
    "stock_code": "string",          # '00700' or an index code 'HSI' / 'HSCEI' / 'HSTECH'
    "open": "float64",
    "high": "float64",
    "low": "float64",
    "close": "float64",
    "prev_close": "float64",         # close of the previous XHKG session
    "volume": "int64",               # shares
    "turnover_hkd": "float64",
}
PRICE_FIELDS = ("Open", "High", "Low", "Close", "Volume")


def yahoo_ticker(stock_code: str) -> str:
    """'00700' -> '0700.HK': Yahoo uses four digits for HKEX codes below 10000."""
    return f"{int(stock_code):04d}.HK"


def stock_code(ticker: str, index_codes: dict[str, str]) -> str:
    """'0700.HK' -> '00700'; an index ticker ('^HSI') -> its index code via index_codes."""
    if ticker in index_codes:
        return index_codes[ticker]
    number, _, suffix = ticker.partition(".")
    if suffix != "HK" or not number.isdigit():
        raise ValueError(f"prices: {ticker!r} is not a Hong Kong ticker")
    return f"{int(number):05d}"


def typical_turnover(volume, high, low, close):
    """Turnover in HKD estimated as volume times the typical price (H + L + C) / 3."""
    return volume * ((high + low + close) / 3)


def parse(raw: pd.DataFrame, sessions: list[dt.date], index_codes: dict[str, str]) -> pd.DataFrame:
    """The landing frame for the requested sessions from a yfinance-shaped frame with look-back."""
    missing = [field for field in PRICE_FIELDS if field not in raw.columns.get_level_values(0)]
    if missing:
        raise ValueError(f"prices: the frame has no {', '.join(missing)} column(s)")
    long = raw.rename_axis(index="Date", columns=["Price", "Ticker"]).stack(level="Ticker").reset_index()
    long = long.dropna(subset=["Close"]).sort_values(["Ticker", "Date"], kind="stable")
    long["prev_close"] = long.groupby("Ticker", sort=False)["Close"].shift(1)
    long = long[long["Date"].dt.date.isin(set(sessions))]
    codes = {ticker: stock_code(ticker, index_codes) for ticker in long["Ticker"].unique()}
    is_index = long["Ticker"].isin(index_codes)
    frame = pd.DataFrame({
        "trade_date": long["Date"].dt.normalize(),
        "stock_code": long["Ticker"].map(codes),
        "open": long["Open"],
        "high": long["High"],
        "low": long["Low"],
        "close": long["Close"],
        "prev_close": long["prev_close"],
        "volume": long["Volume"].fillna(0).round(),
        "turnover_hkd": typical_turnover(long["Volume"], long["High"], long["Low"], long["Close"]).mask(is_index),
    })
    return frame.astype(LANDING_SCHEMA).sort_values(["trade_date", "stock_code"]).reset_index(drop=True)
