"""The analyst snapshot: a copy of the warehouse's marts, core and audit that analysts query, with the views of
include/sql/snapshot/ (the marts with readable types, and the source of every session).

DuckDB lets no other process open a file while a run writes it, so analysts read this copy instead. A DuckLake
needs none: analysts attach the lake read-only from their own DuckDB and see committed days only, so publish
copies nothing there and returns the lake.
Each publish writes a new file beside the snapshot and renames it over the old one (`os.replace`):
a reader that holds the old file keeps reading it (the old inode) until it reconnects, and never
sees a half-written day. A publish killed before its rename leaves its hidden partial file behind: the
next publish on the same host removes those whose process has ended.
"""

import logging
import os
import socket
from pathlib import Path

from hk_market import settings, warehouse
from hk_market.sql_text import literal, quote_identifier

log = logging.getLogger(__name__)
SNAPSHOT_SCHEMAS = ("marts", "core", "audit")
VIEWS_DIR = settings.SQL_DIR / "snapshot"


def publish(warehouse_path: Path | str | None = None, snapshot_path: Path | None = None) -> Path | str:
    """Copy the warehouse's analyst schemas into a new file and atomically replace the snapshot with it; returns
    the snapshot. On a DuckLake, copies nothing and returns the lake (what analysts attach)."""
    if settings.is_lake(warehouse_path):
        log.info("the analyst snapshot is the DuckLake itself: %s", settings.display_name(warehouse_path))
        return str(warehouse_path or settings.warehouse_target())
    target = Path(snapshot_path or settings.snapshot_path())
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_partials(target)
    partial = _partial(target, os.getpid())
    partial.unlink(missing_ok=True)
    try:
        with warehouse.connect(warehouse_path, read_only=True) as con:
            source = con.execute("select current_database()").fetchone()[0]
            con.execute(f"attach {literal(str(partial))} as snapshot (read_only false)")  # ATTACH binds nothing
            # Tables, comments and macros first, then the rows of the analyst schemas only: raw stays behind.
            con.execute(f"copy from database {quote_identifier(source)} to snapshot (schema)")
            tables = con.execute(
                "select schema_name, table_name from duckdb_tables() "
                "where database_name = $source and list_contains($schemas, schema_name) order by all",
                {"source": source, "schemas": list(SNAPSHOT_SCHEMAS)},
            ).fetchall()
            for schema, table in tables:
                con.execute(f"insert into {quote_identifier('snapshot', schema, table)} by name "
                            f"select * from {quote_identifier(source, schema, table)}")
            con.execute("drop schema if exists snapshot.raw cascade")
            _create_views(con, source)
            con.execute("checkpoint snapshot")
            con.execute("detach snapshot")
        os.replace(partial, target)
    finally:
        _remove(partial)
    log.info("published the analyst snapshot %s (%d tables)", target, len(tables))
    return target


def _create_views(con, source: str) -> None:
    """Create the views of include/sql/snapshot/ in the snapshot, naming its tables as the snapshot's own."""
    con.execute("use snapshot")
    try:
        for script in sorted(VIEWS_DIR.glob("*.sql")):
            con.execute(script.read_text())
    finally:
        con.execute(f"use {quote_identifier(source)}")


def _partial(target: Path, pid: int) -> Path:
    """The hidden file a publish by process pid on this host writes before renaming it over the target."""
    return target.with_name(f".{target.name}.{socket.gethostname()}.{pid}.partial")


def remove_stale_partials(target: Path) -> list[Path]:
    """Remove the partial files (and their write-ahead logs) of publishes on this host whose process has ended;
    returns them. A running publish's partial file, and another host's, are left alone."""
    prefix, removed = _partial(target, 0).name.removesuffix("0.partial"), []
    for partial in target.parent.glob(f"{prefix}*.partial"):
        pid = partial.name.removeprefix(prefix).removesuffix(".partial")
        if pid.isdigit() and not _running(int(pid)):
            _remove(partial)
            removed.append(partial)
    if removed:
        log.info("removed %d partial snapshot files left by killed publishes: %s", len(removed),
                 ", ".join(path.name for path in removed))
    return removed


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def _remove(partial: Path) -> None:
    partial.unlink(missing_ok=True)
    partial.with_name(partial.name + ".wal").unlink(missing_ok=True)
