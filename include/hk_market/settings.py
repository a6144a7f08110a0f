"""Where things live and which source runs, from the environment (Airflow Variables map onto these)."""

import os
from pathlib import Path
from zoneinfo import ZoneInfo

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SQL_DIR = PROJECT_ROOT / "include" / "sql"
SEEDS_DIR = PROJECT_ROOT / "include" / "seeds"
SOURCES = ("sample", "live")
HK_TZ = ZoneInfo("Asia/Hong_Kong")


def warehouse_path() -> Path:
    """The DuckDB warehouse file: HK_MARKET_WAREHOUSE, else warehouse/hk_market.duckdb."""
    return Path(os.environ.get("HK_MARKET_WAREHOUSE", PROJECT_ROOT / "warehouse" / "hk_market.duckdb"))


def landing_dir() -> Path:
    """Root of the Parquet landing zone: HK_MARKET_LANDING, else landing/."""
    return Path(os.environ.get("HK_MARKET_LANDING", PROJECT_ROOT / "landing"))


def snapshot_path() -> Path:
    """The analyst snapshot: HK_MARKET_SNAPSHOT, else hk_market_analyst.duckdb beside the warehouse file
    (in warehouse/ when the warehouse is a MotherDuck database, `md:<db>`)."""
    if "HK_MARKET_SNAPSHOT" in os.environ:
        return Path(os.environ["HK_MARKET_SNAPSHOT"])
    in_motherduck = str(warehouse_path()).startswith("md:")
    return (PROJECT_ROOT / "warehouse" if in_motherduck else warehouse_path().parent) / "hk_market_analyst.duckdb"


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
