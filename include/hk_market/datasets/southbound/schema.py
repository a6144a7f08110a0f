"""The southbound landing frame: its columns and their pandas dtypes."""

LANDING_SCHEMA = {
    "trade_date": "datetime64[s]",
    "channel": "string",             # 'SSE' (Shanghai-HK) or 'SZSE' (Shenzhen-HK) southbound
    "buy_hkd": "float64",
    "sell_hkd": "float64",
    "total_turnover_hkd": "float64",  # HKEX's own Total: validation checks it is buy + sell, so net = buy - sell holds
}
