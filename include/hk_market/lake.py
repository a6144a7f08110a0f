"""Opening the warehouse when it is not a local DuckDB file: a DuckLake (catalog in Postgres, data under
HK_MARKET_LAKE_DATA) or a MotherDuck database. Both open an in-memory DuckDB, load the extensions from their
wheels (hk_market.extensions), ATTACH the warehouse and USE it, so the SQL reads the same as on a file.

ATTACH takes no bound parameters: its strings go through literal(), the one place that quotes them.
Nothing here logs or raises a password: messages carry settings.display_name().

Writers take turns per transaction through a Postgres advisory lock in the catalog database (writer_lock()),
held from before the DuckLake transaction begins until it has committed: no file lock, and writers on any host
wait for each other for the length of one transaction only. DuckLake 1.5.5's own conflict detection is not
enough: a delete from a Parquet file that already has deletes commits beside another writer's delete of the
same file without a conflict, and rows come back (measured here; tests/lake/). A conflict with a writer that
does not take the lock is still retried.
"""

import logging
import os
import random
import re
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import duckdb

from hk_market import extensions, settings
from hk_market.sql_text import literal, quote_identifier

log = logging.getLogger(__name__)
LAKE = "lake"  # the catalog name the lake is attached as (its metadata: __ducklake_metadata_lake)
MOTHERDUCK_HOST = "api.motherduck.com"
REACH_SECONDS = 5.0
CONFLICT_ATTEMPTS = 8  # a DuckLake commit that conflicts is retried this many times in all...
CONFLICT_PAUSE = (0.2, 5.0)  # ...after pauses doubling from the first to at most the second, with jitter
INITIALIZE_ATTEMPTS = 5  # attaching a catalog another process is creating at that moment
WRITER_LOCK = "hk_market warehouse writer"  # the advisory lock's name (hashed to its key by Postgres)
WRITER_LOCK_WAIT_SECONDS = 600
T = TypeVar("T")
_CONFLICT_ID = re.compile(r'(table|file) with (?:index|id) "?(\d+)"?', re.IGNORECASE)


class WarehouseUnavailable(RuntimeError):
    """The warehouse could not be reached or attached."""


class WriteConflict(RuntimeError):
    """A DuckLake transaction kept conflicting with other writers' commits."""


def open_lake(target: str, read_only: bool, config: dict) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with the DuckLake `target` attached as LAKE and in use. Its data path is
    HK_MARKET_LAKE_DATA when set; a reader that does not set it uses the one the catalog recorded.
    Two processes attaching a new catalog at once both try to create its tables; the one that loses
    attaches again and finds them made."""
    for attempt in range(1, INITIALIZE_ATTEMPTS + 1):
        try:
            return _attach_lake(target, read_only, config)
        except duckdb.Error as error:
            if attempt < INITIALIZE_ATTEMPTS and _lost_initialization_race(error):
                log.info("another process was creating the DuckLake catalog %s; attaching again",
                         settings.display_name(target))
                time.sleep(CONFLICT_PAUSE[0] * attempt)
                continue
            raise WarehouseUnavailable(f"could not attach the DuckLake {settings.display_name(target)}: "
                                       f"{settings.display_name(str(error))}") from None
    raise AssertionError("unreachable")


def _attach_lake(target: str, read_only: bool, config: dict) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(config=extensions.NO_DOWNLOAD | config)
    try:
        extensions.load(con, "ducklake", "postgres_scanner")
        # Writers keep every row in Parquet (no rows or deletes inlined in the catalog): with DuckLake 1.5.5 a
        # delete inlined by one writer and a delete file written by another commit without a conflict and the
        # second loses deletes of the first (rows come back); without inlining the second commit conflicts and
        # is retried. A reader's option does not matter.
        options = ["read_only"] if read_only else ["data_inlining_row_limit 0"]
        if "HK_MARKET_LAKE_DATA" in os.environ or not read_only:
            options.append(f"data_path {literal(settings.lake_data())}")
        con.execute(f"attach {literal(target)} as {LAKE} ({', '.join(options)})")
        con.execute(f"use {LAKE}")
    except BaseException:
        con.close()
        raise
    return con


def _lost_initialization_race(error: duckdb.Error) -> bool:
    text = str(error)
    return "Failed to initialize DuckLake" in text and ("already exists" in text or "duplicate key" in text)


def open_motherduck(target: str, read_only: bool, config: dict) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with the MotherDuck database `md:<db>` attached and in use (the token from the
    motherduck_token environment variable). Offline it fails at once, naming the host it could not reach:
    the extension would retry its own download for seconds before saying so."""
    host = os.environ.get("motherduck_host") or MOTHERDUCK_HOST
    try:
        socket.create_connection((host, 443), timeout=REACH_SECONDS).close()
    except OSError as error:
        raise WarehouseUnavailable(f"cannot reach MotherDuck at {host} (port 443) for {target}: {error}") from None
    con = duckdb.connect(config=extensions.NO_DOWNLOAD | config)
    try:
        extensions.load(con, "motherduck")
        con.execute(f"attach {literal(target)}{' (read_only)' if read_only else ''}")
        database = target.removeprefix("md:").split("?")[0]
        if database:
            con.execute(f"use {quote_identifier(database)}")
    except BaseException:
        con.close()
        raise
    return con


def committed(con: duckdb.DuckDBPyConnection, work: Callable[[], T], attempts: int = CONFLICT_ATTEMPTS) -> T:
    """Run work() in one transaction and commit it. On a DuckLake, a commit that conflicts with another
    writer's is rolled back and work() runs again, up to `attempts` times in all with backoff; the last
    conflict fails naming the table. Any other error rolls back and is raised as it is."""
    pause, catalog = CONFLICT_PAUSE[0], _writable_lake_catalog(con)
    for attempt in range(1, attempts + 1):
        try:
            with writer_lock(catalog):
                con.begin()
                result = work()
                con.commit()
            return result
        except duckdb.TransactionException as error:
            _rollback(con)
            if "conflict" not in str(error).lower():
                raise
            table = conflicting_table(con, str(error))
            if attempt == attempts:
                raise WriteConflict(f"{table}: the write conflicted with other writers' commits "
                                    f"{attempts} times in a row: {error}") from error
            wait = pause * random.uniform(0.5, 1.5)
            log.warning("DuckLake write conflict on %s (attempt %d of %d): another writer committed first; "
                        "running the transaction again in %.1f s", table, attempt, attempts, wait)
            time.sleep(wait)
            pause = min(pause * 2, CONFLICT_PAUSE[1])
        except BaseException:
            _rollback(con)
            raise
    raise AssertionError("unreachable")


@contextmanager
def writer_lock(catalog: str | None, wait_seconds: float = WRITER_LOCK_WAIT_SECONDS) -> Iterator[None]:
    """Hold the lake's writer lock (a Postgres advisory lock in its catalog database, on a connection of its own,
    so a writer that dies releases it) for the block; nothing to hold for catalog None (not a lake's writer)."""
    if catalog is None:
        yield
        return
    import psycopg2

    name = settings.display_name(settings.LAKE_PREFIX + catalog)
    try:
        lock = psycopg2.connect(catalog, connect_timeout=30, application_name="hk_market writer lock")
    except psycopg2.Error as error:
        raise WarehouseUnavailable(f"could not reach the DuckLake catalog of {name}: "
                                   f"{settings.display_name(str(error).strip())}") from None
    try:
        lock.autocommit = True
        with lock.cursor() as cursor:
            cursor.execute("select pg_try_advisory_lock(hashtext(%s))", (WRITER_LOCK,))
            if not cursor.fetchone()[0]:
                log.info("another writer is committing to the DuckLake %s; waiting for it", name)
                cursor.execute("select set_config('lock_timeout', %s, false)", (f"{int(wait_seconds * 1000)}",))
                try:
                    cursor.execute("select pg_advisory_lock(hashtext(%s))", (WRITER_LOCK,))
                except psycopg2.errors.LockNotAvailable:
                    raise WarehouseBusy(f"the DuckLake {name} stayed locked by another writer for "
                                        f"{wait_seconds:.0f} s") from None
        yield
    finally:
        lock.close()  # ends the session: the lock goes with it


class WarehouseBusy(RuntimeError):
    """Another writer held the lake's writer lock for longer than we were willing to wait."""


def _writable_lake_catalog(con: duckdb.DuckDBPyConnection) -> str | None:
    """The libpq conninfo of the lake's catalog the connection has attached for writing, else None."""
    rows = con.execute("select path from duckdb_databases() where database_name = $name and type = 'ducklake' "
                       "and not readonly", {"name": LAKE}).fetchall()
    return rows[0][0].removeprefix("postgres:") if rows else None


def conflicting_table(con: duckdb.DuckDBPyConnection, message: str) -> str:
    """The schema.table a DuckLake conflict message refers to (by its catalog id, of the table or of one of its
    data files), else 'a table'."""
    found = _CONFLICT_ID.search(message)
    if not found:
        return "a table"
    kind, number = found[1].lower(), int(found[2])
    table_id = ("t.table_id = $id" if kind == "table" else
                f"t.table_id = (select table_id from __ducklake_metadata_{LAKE}.ducklake_data_file "
                "where data_file_id = $id)")
    try:
        row = con.execute(
            f"select s.schema_name || '.' || t.table_name from __ducklake_metadata_{LAKE}.ducklake_table as t "
            f"join __ducklake_metadata_{LAKE}.ducklake_schema as s using (schema_id) "
            f"where {table_id} order by t.begin_snapshot desc limit 1", {"id": number}).fetchone()
    except duckdb.Error:
        row = None
    return row[0] if row else f"the table of {kind} id {number}"


def _rollback(con: duckdb.DuckDBPyConnection) -> None:
    try:
        con.rollback()
    except duckdb.TransactionException:  # a failed commit has ended the transaction already
        pass


def analyst_sql(target: str | None = None) -> str:
    """The statements that attach the lake read-only in any DuckDB 1.5.5 (the CLI's -init file, a notebook):
    downloads off, the extensions loaded from this project's wheels, the conninfo without its password
    (give it in PGPASSWORD or ~/.pgpass, which libpq reads)."""
    target = _PASSWORD.sub("", target or settings.warehouse_target()).strip()
    if not settings.is_lake(target):
        raise ValueError(f"{settings.display_name(target)} is not a DuckLake (ducklake:postgres:…)")
    lines = ["set autoinstall_known_extensions = false;", "set autoload_known_extensions = false;"]
    lines += [f"load {literal(str(extensions.path(name)))};" for name in ("ducklake", "postgres_scanner")]
    lines += [f"attach {literal(target)} as {LAKE} (read_only);", f"use {LAKE};"]
    return "\n".join(lines) + "\n"


_PASSWORD = re.compile(r"\s*\bpassword\s*=\s*('(?:[^'\\]|\\.)*'|\S+)", re.IGNORECASE)


if __name__ == "__main__":  # python -m hk_market.lake > lake.sql; PGPASSWORD=… duckdb -init lake.sql
    print(analyst_sql(), end="")
