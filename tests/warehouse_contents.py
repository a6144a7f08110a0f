"""What a test compares to prove a warehouse unchanged: every table's rows, in a stable order."""

from pathlib import Path

import duckdb
import pandas as pd

DATA_SCHEMAS = ("raw", "core", "marts")


def contents(warehouse: Path, schemas: tuple[str, ...] = DATA_SCHEMAS) -> dict[str, pd.DataFrame]:
    """Each base table of the schemas (as 'schema.table') with all its rows, sorted by every column."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        tables = con.execute(
            "select table_schema || '.' || table_name from information_schema.tables "
            "where table_schema in $schemas and table_type = 'BASE TABLE' order by 1",
            {"schemas": list(schemas)},
        ).fetchall()
        return {table: con.execute(f"select * from {table} order by all").df() for (table,) in tables}


def assert_same_contents(after: dict[str, pd.DataFrame], before: dict[str, pd.DataFrame]) -> None:
    assert list(after) == list(before)
    for table, rows in before.items():
        pd.testing.assert_frame_equal(after[table], rows, check_exact=True, obj=table)
