"""Where things live and which source runs, from the environment (Airflow Variables map onto these)."""

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SQL_DIR = PROJECT_ROOT / "include" / "sql"
SEEDS_DIR = PROJECT_ROOT / "include" / "seeds"
SOURCES = ("sample",)


def warehouse_path() -> Path:
    """The DuckDB warehouse file: HK_MARKET_WAREHOUSE, else warehouse/hk_market.duckdb."""
    return Path(os.environ.get("HK_MARKET_WAREHOUSE", PROJECT_ROOT / "warehouse" / "hk_market.duckdb"))


def landing_dir() -> Path:
    """Root of the Parquet landing zone: HK_MARKET_LANDING, else landing/."""
    return Path(os.environ.get("HK_MARKET_LANDING", PROJECT_ROOT / "landing"))


def source_name(value: str | None = None) -> str:
    """The source to extract from (HK_MARKET_SOURCE, default 'sample'), checked against the known ones."""
    name = (value or os.environ.get("HK_MARKET_SOURCE") or "sample").strip().lower()
    if name not in SOURCES:
        raise ValueError(f"unknown source {name!r}: HK_MARKET_SOURCE must be one of {', '.join(SOURCES)}")
    return name
