"""The data dictionary, generated from the warehouse's COMMENTs and the data quality suites
(docs/data-dictionary.md).

    python -m hk_market.dictionary > docs/data-dictionary.md
"""

import duckdb

from hk_market import registry, rules, warehouse
from hk_market.datasets.prices.rules import SECURITY_MOVE_LIMIT_PCT

HEADER = """# Data dictionary

Generated from the DuckDB COMMENTs and the data quality suites (hk_market.rules) by
`python -m hk_market.dictionary`; do not edit by hand (`make dictionary` regenerates it, and a test
fails when it drifts from the DDL or the suites).
Codes are HKEX five-digit stock codes as text; percentages are in percent, point changes in
percentage points, money in HKD.

On a DuckLake (`HK_MARKET_WAREHOUSE=ducklake:postgres:…`) the tables, columns, types, NOT NULLs, COMMENTs and
macros are the same: the one DDL (include/sql/ddl/) and the same models build both, and this dictionary
renders identically from either (tests/lake/). What differs: a DuckLake has no indexes, primary keys, unique
or check constraints (the warehouse uses none: uniqueness is checked by query); its rows are Parquet files
under `HK_MARKET_LAKE_DATA`, its catalog is the Postgres database; every commit is a snapshot
(`from lake.snapshots()`), so earlier states can be read (`at (version => n)`) until they are expired.
Writers inline no rows in the catalog (`data_inlining_row_limit 0`, see hk_market/lake.py).
"""


def render(con: duckdb.DuckDBPyConnection, schema: str = "marts") -> str:
    """Markdown: one section per table of the schema, one row per column with type and comment."""
    tables = con.execute(
        "select table_name, comment from duckdb_tables() where schema_name = $schema order by table_name",
        {"schema": schema},
    ).fetchall()
    parts = [HEADER]
    for table, comment in tables:
        columns = con.execute(
            "select column_name, data_type, comment from duckdb_columns() "
            "where schema_name = $schema and table_name = $table order by column_index",
            {"schema": schema, "table": table},
        ).fetchall()
        parts.append(f"## `{schema}.{table}`\n\n{comment or ''}\n\n| column | type | meaning |\n|---|---|---|")
        parts.append("\n".join(f"| `{name}` | {kind} | {text or ''} |" for name, kind, text in columns) + "\n")
    parts.append(quality_checks())
    return "\n".join(parts)


QUALITY_HEADER = f"""## Data quality: what fails, what is flagged

Every dataset's landed rows pass its Great Expectations suite before they are loaded.

- **critical**: the check fails the day. The run stops with an error naming the dataset, the day and
  each failed check with what it saw (`prices 2024-11-14: 1 critical expectation failed:
  expect_column_values_to_be_between(index_change_pct) 1 unexpected of 174 [e.g. 880.0]`); the failing
  rows are listed in `audit.quarantine_<dataset>`; nothing of that day reaches raw, core or marts, and
  earlier days are untouched. Fix the source (or wait for it) and run the day again.
- **warning**: the check flags rows but the day loads, those rows included. They are listed in
  `audit.quarantine_<dataset>` and the outcome in `audit.validation_results`, for a person to look at.
  Only the security day move is a warning: small stocks move more than {SECURITY_MOVE_LIMIT_PCT} %
  in a day on news, often, and one such row must not stop the day for every other security. Broken data
  is told from a real move by the critical checks of levels against the loaded history (prev_close
  against the close already loaded) and of turnover against volume x the day's range.

Every outcome, passed or failed, is kept in `audit.validation_results` and in the Great Expectations
Data Docs (`gx/data_docs/index.html` beside the landing zone). A check reads a landing column, or a
helper column computed for it (named in the check, e.g. `index_change_pct`). A stock split or
consolidation, which yfinance applies to all of a stock's history, fails the day as prev_close off the
close loaded for the previous session: the loaded history is then no longer comparable, and is loaded
again (a backfill from the first session loaded) before the day.
"""


def quality_checks() -> str:
    """Markdown: one table per dataset of its suite's checks, their severity and what each stops."""
    parts = [QUALITY_HEADER]
    for dataset in registry.NAMES:
        checks = rules.suite_rules(dataset)
        rows = "\n".join(f"| `{rule.label}` | {rule.severity} | {rule.meaning} |" for rule in checks)
        parts.append(f"### `{dataset}`\n\n| check | severity | what it stops |\n|---|---|---|\n{rows}\n")
    return "\n".join(parts)


def main() -> None:
    con = duckdb.connect()
    warehouse.ensure_schema(con)
    print(render(con), end="")


if __name__ == "__main__":
    main()
