"""The warehouse: connections (a DuckDB file that waits for the writer lock, a DuckLake, MotherDuck), DDL, and
window loads. Writes go through committed(): one transaction, retried on a DuckLake conflict."""

import datetime as dt
import hashlib
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

import duckdb
import pandas as pd

from hk_market import lake, models, registry, settings

# committed(con, work): work() in one transaction, retried on a DuckLake conflict (WriteConflict names the table).
from hk_market.lake import WarehouseUnavailable, WriteConflict, committed  # noqa: F401 (callers use them)
from hk_market.sql_text import quote_identifier

log = logging.getLogger(__name__)
LOCK_WAIT_SECONDS = 600
# The models' tables need the schemas and the scripts' macros: they are applied after them.
MODELS_DDL = "50_models.sql"
# The only table names put into SQL text besides raw.<dataset> and audit.quarantine_<dataset>.
REFERENCE_TABLES = ("core.securities", "core.indices", "core.index_constituents", "core.security_groups",
                    "core.trading_calendar")


class WarehouseBusyError(RuntimeError):
    """Another process held the warehouse for longer than we were willing to wait."""


@contextmanager
def connect(path: Path | str | None = None, read_only: bool = False,
            wait_seconds: float = LOCK_WAIT_SECONDS) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the warehouse (path, else HK_MARKET_WAREHOUSE): a DuckDB file, waiting (with a log line) while
    another process holds its lock; a DuckLake (`ducklake:postgres:…`), which needs no lock; or MotherDuck."""
    target = str(path or settings.warehouse_target())
    config = {"memory_limit": settings.duckdb_memory_limit()}
    if settings.is_lake(target):
        con = lake.open_lake(target, read_only, config)
    elif target.startswith("md:"):
        con = lake.open_motherduck(target, read_only, config)
    else:
        con = _open_file(Path(target), read_only, config, wait_seconds)
    con.execute("set enable_progress_bar = false")  # a bar of \r-redrawn lines would fill task logs
    try:
        yield con
    finally:
        con.close()


def _open_file(path: Path, read_only: bool, config: dict, wait_seconds: float) -> duckdb.DuckDBPyConnection:
    path.parent.mkdir(parents=True, exist_ok=True)
    deadline, pause = time.monotonic() + wait_seconds, 0.2
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only, config=config)
        except duckdb.IOException as error:
            if "lock" not in str(error).lower():
                raise
            if time.monotonic() >= deadline:
                raise WarehouseBusyError(
                    f"warehouse {path} stayed locked by another process for {wait_seconds:.0f} s: {error}"
                ) from error
            log.warning("warehouse %s is locked by another process; retrying in %.1f s", path, pause)
            time.sleep(pause)
            pause = min(pause * 2, 5.0)


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create schemas, tables, comments and macros (idempotent), and record the DDL's digest in
    audit.schema_version; a warehouse that already has this DDL is left alone (running it all takes a
    noticeable fraction of a second on a large warehouse, and every step opens the warehouse)."""
    scripts, digest = _ddl()
    if _schema_version(con) == digest:
        return

    def apply() -> None:  # in one transaction: writers starting at once on a DuckLake retry, then see it done
        if _schema_version(con) == digest:
            return
        for script in scripts:
            con.execute(script)
        con.execute("delete from audit.schema_version")
        con.execute("insert into audit.schema_version values ($digest, now()::timestamp)", {"digest": digest})

    committed(con, apply)


def _schema_version(con: duckdb.DuckDBPyConnection) -> str | None:
    try:
        rows = con.execute("select ddl_sha256 from audit.schema_version").fetchall()
    except duckdb.CatalogException:  # a new warehouse
        return None
    return rows[0][0] if len(rows) == 1 else None


@contextmanager
def connected(con: duckdb.DuckDBPyConnection | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """The given connection (whose schema the caller ensured), else the warehouse opened with its schema
    ensured, and closed afterwards: so steps can share one connection (a backfill chunk's) or open their own."""
    if con is not None:
        yield con
        return
    with connect() as opened:
        ensure_schema(opened)
        yield opened


@cache
def _ddl() -> tuple[tuple[str, ...], str]:
    """The DDL scripts of include/sql/ddl/ and the models' tables (made from their YAML, applied where a file
    MODELS_DDL would sort) in name order, and the SHA-256 of them all."""
    files = {path.name: path.read_text() for path in (settings.SQL_DIR / "ddl").glob("*.sql")}
    files[MODELS_DDL] = "\n".join(model.ddl() for model in models.build_order())
    scripts = tuple(files[name] for name in sorted(files))
    return scripts, hashlib.sha256("\n".join(scripts).encode()).hexdigest()


def replace_table(con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame) -> None:
    """Replace a reference table's rows with the frame's (columns matched by name)."""
    if table not in REFERENCE_TABLES:
        raise ValueError(f"unknown reference table {table!r}: expected one of {', '.join(REFERENCE_TABLES)}")
    quoted = quote_identifier(*table.split("."))
    con.execute(f"delete from {quoted}")
    con.register("replacement", frame)
    con.execute(f"insert into {quoted} by name select * from replacement")
    con.unregister("replacement")


def replace_window(con: duckdb.DuckDBPyConnection, dataset: str, frame: pd.DataFrame,
                   sessions: list[dt.date], source: str, run_id: str) -> int:
    """Replace raw.<dataset>'s rows for the sessions with the frame's; call inside a transaction."""
    registry.dataset(dataset)
    first, last, table = min(sessions), max(sessions), quote_identifier("raw", dataset)
    con.execute(f"delete from {table} where trade_date between $first and $last",
                {"first": first, "last": last})
    con.register("landing", frame)
    con.execute(
        f"insert into {table} by name "
        "select *, $source as source, $run_id as run_id, now()::timestamp as loaded_at from landing",
        {"source": source, "run_id": run_id},
    )
    con.unregister("landing")
    con.execute(
        "insert into audit.runs values ($run_id, $first, $last, $source, $dataset, $rows, now()::timestamp)",
        {"run_id": run_id, "first": first, "last": last, "source": source, "dataset": dataset,
         "rows": len(frame)},
    )
    return len(frame)


def replace_estimated_turnover(con: duckdb.DuckDBPyConnection, published: pd.DataFrame, source: str,
                               tolerance_pct: float) -> tuple[list[dt.date], list[tuple[dt.date, str]]]:
    """Set the source's estimated raw.prices turnover to HKEX's printed figures (trade_date, stock_code,
    turnover_hkd) where it printed one that lies within the row's volume x [low, high], tolerance_pct either
    side; call inside a transaction. Returns the sessions changed, and the (session, stock) whose printed figure
    lay outside, which keep their estimate."""
    con.register("published", published)
    try:
        rows = con.execute(
            "select p.trade_date, p.stock_code, t.turnover_hkd between "
            "  p.volume * p.low * (1 - $tolerance / 100) - 1 and p.volume * p.high * (1 + $tolerance / 100) + 1 "
            "from raw.prices as p join published as t using (trade_date, stock_code) "
            "where p.source = $source and p.turnover_estimated",
            {"source": source, "tolerance": tolerance_pct},
        ).fetchall()
        con.execute(
            "update raw.prices as p set turnover_hkd = t.turnover_hkd, turnover_estimated = false "
            "from published as t where p.trade_date = t.trade_date and p.stock_code = t.stock_code "
            "and p.source = $source and p.turnover_estimated and t.turnover_hkd between "
            "  p.volume * p.low * (1 - $tolerance / 100) - 1 and p.volume * p.high * (1 + $tolerance / 100) + 1",
            {"source": source, "tolerance": tolerance_pct},
        )
    finally:
        con.unregister("published")
    changed = sorted({day for day, _, inside in rows if inside})
    return changed, sorted((day, code) for day, code, inside in rows if not inside)


def record_validation(con: duckdb.DuckDBPyConnection, report, run_id: str) -> None:
    """Record an expectations.ValidationReport's outcomes, and quarantine its failing rows."""
    registry.dataset(report.dataset)
    first, last = min(report.sessions), max(report.sessions)
    outcomes = pd.DataFrame(
        [(run_id, report.dataset, first, last, o.expectation, o.column, o.severity, o.success, o.observed)
         for o in report.outcomes],
        columns=["run_id", "dataset", "first_session", "last_session", "expectation", "column_name",
                 "severity", "success", "observed"],
    )
    con.register("outcomes", outcomes)
    con.execute("insert into audit.validation_results by name select *, now()::timestamp as recorded_at from outcomes")
    con.unregister("outcomes")
    if len(report.failing_rows):
        con.register("failing", report.failing_rows)
        con.execute(
            f"insert into {quote_identifier('audit', f'quarantine_{report.dataset}')} by name "
            "select *, $run_id as run_id, now()::timestamp as quarantined_at from failing",
            {"run_id": run_id},
        )
        con.unregister("failing")


def loaded_sessions(con: duckdb.DuckDBPyConnection, first: dt.date, last: dt.date) -> set[dt.date]:
    """Sessions between first and last whose prices are loaded."""
    rows = con.execute(
        "select distinct trade_date from raw.prices where trade_date between $first and $last",
        {"first": first, "last": last},
    ).fetchall()
    return {row[0] for row in rows}


def unbuilt_sessions(con: duckdb.DuckDBPyConnection) -> list[dt.date]:
    """Sessions loaded in raw whose marts are missing: prices without marts.security_daily, southbound flows
    without marts.southbound_daily."""
    rows = con.execute(
        "(select trade_date from raw.prices except select trade_date from marts.security_daily) union "
        "(select trade_date from raw.southbound except select trade_date from marts.southbound_daily) order by 1"
    ).fetchall()
    return [day for (day,) in rows]
