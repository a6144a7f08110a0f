"""hk-market: Hong Kong daily closes, short selling and Stock Connect flows into DuckDB."""

DATASETS = ("prices", "short_selling", "southbound", "macro")
