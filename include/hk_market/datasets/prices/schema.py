"""The prices landing frame: its columns and their pandas dtypes."""

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
    "turnover_estimated": "bool",    # turnover_hkd is volume x typical price, not HKEX's printed figure
    "split_ratio": "float64",        # Yahoo's declared split on this ex-date (2.0 for 2-for-1), 1.0 for none
}
