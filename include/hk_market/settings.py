"""Where things live and which source runs, from the environment (Airflow Variables map onto these)."""

import os
import re
from pathlib import Path
from zoneinfo import ZoneInfo

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SQL_DIR = PROJECT_ROOT / "include" / "sql"
SEEDS_DIR = PROJECT_ROOT / "include" / "seeds"
SOURCES = ("sample", "live")
HK_TZ = ZoneInfo("Asia/Hong_Kong")
LAKE_PREFIX = "ducklake:postgres:"  # then a libpq conninfo: 'dbname=hk_lake host=… port=… user=…'
# A password in a conninfo ('password=…', quoted or not) or in a URI ('postgresql://user:…@host').
_SECRETS = re.compile(r"(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)|(://[^:/@\s]*:)([^@\s]*)(@)", re.IGNORECASE)


def warehouse_target() -> str:
    """HK_MARKET_WAREHOUSE as set: a DuckDB file (default warehouse/hk_market.duckdb), a MotherDuck database
    (`md:<db>`), or a DuckLake with its catalog in Postgres (`ducklake:postgres:<libpq conninfo>`)."""
    return os.environ.get("HK_MARKET_WAREHOUSE") or str(PROJECT_ROOT / "warehouse" / "hk_market.duckdb")


def is_lake(target: str | os.PathLike | None = None) -> bool:
    """Whether the target (else the configured warehouse) is a DuckLake rather than a DuckDB file."""
    return str(warehouse_target() if target is None else target).startswith(LAKE_PREFIX)


def lake_data() -> str:
    """Where the DuckLake keeps its Parquet files: HK_MARKET_LAKE_DATA, a directory every writer mounts or an
    object-store URL (s3://bucket/prefix/), else warehouse/lake/ (one machine only)."""
    return os.environ.get("HK_MARKET_LAKE_DATA") or str(PROJECT_ROOT / "warehouse" / "lake")


def lake_target(**fields: str | int | None) -> str:
    """A DuckLake setting from libpq keywords (dbname, host, port, user, password, ...), each value quoted as
    libpq reads it; empty ones left out."""
    def quoted(value) -> str:
        text = str(value)
        if text and not re.search(r"[\s'\\]", text):
            return text
        return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"

    return LAKE_PREFIX + " ".join(f"{key}={quoted(value)}" for key, value in fields.items() if value not in (None, ""))


def display_name(target: str | os.PathLike | None = None) -> str:
    """The warehouse's name for logs and messages, with any password replaced by ***."""
    text = str(warehouse_target() if target is None else target)
    return _SECRETS.sub(lambda m: f"{m[1]}***" if m[1] else f"{m[3]}***{m[5]}", text)


def warehouse_path() -> Path:
    """The DuckDB warehouse file: HK_MARKET_WAREHOUSE, else warehouse/hk_market.duckdb (see warehouse_target()
    for the settings that name no file)."""
    return Path(warehouse_target())


def landing_dir() -> Path:
    """Root of the Parquet landing zone: HK_MARKET_LANDING, else landing/."""
    return Path(os.environ.get("HK_MARKET_LANDING", PROJECT_ROOT / "landing"))


def snapshot_path() -> Path:
    """The analyst snapshot file: HK_MARKET_SNAPSHOT, else hk_market_analyst.duckdb beside the warehouse file
    (in warehouse/ when the warehouse is a MotherDuck database, `md:<db>`, or a DuckLake)."""
    if "HK_MARKET_SNAPSHOT" in os.environ:
        return Path(os.environ["HK_MARKET_SNAPSHOT"])
    elsewhere = warehouse_target().startswith("md:") or is_lake()
    return (PROJECT_ROOT / "warehouse" if elsewhere else warehouse_path().parent) / "hk_market_analyst.duckdb"


def analyst_database() -> str:
    """What analysts, the wraps and the UI page read: the snapshot file, or on a DuckLake the lake itself
    (attached read-only: no copy is made)."""
    return warehouse_target() if is_lake() else str(snapshot_path())


def reports_dir() -> Path:
    """Where the daily market wraps go: HK_MARKET_REPORTS, else reports/."""
    return Path(os.environ.get("HK_MARKET_REPORTS", PROJECT_ROOT / "reports"))


def duckdb_memory_limit() -> str:
    """How much memory DuckDB may use before it spills to disk: HK_MARKET_DUCKDB_MEMORY_LIMIT, else 1GB.

    DuckDB otherwise takes 80 % of the machine; the pipeline's budget is 2 GB in all."""
    return os.environ.get("HK_MARKET_DUCKDB_MEMORY_LIMIT", "1GB")


def sample_full_market() -> bool:
    """Whether the sample source emits a full market (~2,600 securities) rather than the curated universe:
    HK_MARKET_SAMPLE_UNIVERSE=full (benchmarks) or curated (the default)."""
    value = os.environ.get("HK_MARKET_SAMPLE_UNIVERSE", "curated").strip().lower()
    if value not in ("curated", "full"):
        raise ValueError(f"HK_MARKET_SAMPLE_UNIVERSE must be 'curated' or 'full', not {value!r}")
    return value == "full"


def min_price_coverage() -> float:
    """The share of securities that must have a live close for a day to load: HK_MARKET_MIN_PRICE_COVERAGE,
    a fraction, default 0.95 (a few suspended or failed tickers are tolerated and logged)."""
    value = os.environ.get("HK_MARKET_MIN_PRICE_COVERAGE", "0.95")
    try:
        if 0 < float(value) <= 1:
            return float(value)
    except ValueError:
        pass
    raise ValueError(f"HK_MARKET_MIN_PRICE_COVERAGE must be a fraction in (0, 1], not {value!r}")


def source_name(value: str | None = None) -> str:
    """The source to extract from (HK_MARKET_SOURCE, default 'sample'), checked against the known ones."""
    name = (value or os.environ.get("HK_MARKET_SOURCE") or "sample").strip().lower()
    if name not in SOURCES:
        raise ValueError(f"unknown source {name!r}: HK_MARKET_SOURCE must be one of {', '.join(SOURCES)}")
    return name
