"""hk-market: Hong Kong daily closes, short selling and Stock Connect flows into DuckDB."""
