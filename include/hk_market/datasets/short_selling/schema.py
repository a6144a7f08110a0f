"""The short selling landing frame: its columns and their pandas dtypes."""

LANDING_SCHEMA = {
    "trade_date": "datetime64[s]",
    "stock_code": "string",          # five digits, zero padded
    "short_shares": "int64",
    "short_turnover_hkd": "float64",
    # Read from a Daily Quotations page (the live source's, before the latest session: Main Board only),
    # not from the day-close reports, which cover GEM too.
    "from_daily_quotations": "bool",
}
