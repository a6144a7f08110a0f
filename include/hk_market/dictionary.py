"""The data dictionary, generated from the warehouse's COMMENTs (docs/data-dictionary.md).

    python -m hk_market.dictionary > docs/data-dictionary.md
"""

import duckdb

from hk_market import warehouse

HEADER = """# Data dictionary

Generated from the DuckDB COMMENTs by `python -m hk_market.dictionary`; do not edit by hand
(`make dictionary` regenerates it, and a test fails when it drifts from the DDL).
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
    return "\n".join(parts)


def main() -> None:
    con = duckdb.connect()
    warehouse.ensure_schema(con)
    print(render(con), end="")


if __name__ == "__main__":
    main()
