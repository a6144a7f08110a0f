"""The securities universe: the curated seeds plus HKEX's List of Securities (equities, REITs, ETFs).

The weekly hk_market_reference DAG fetches HKEX's ListOfSecurities.xlsx from the run's source (the sample
renders one listing its curated universe), lands it as Parquet in that source's landing zone
(landing/<source>/reference/list_of_securities.parquet) and reloads the warehouse's reference tables. The
curated seeds keep their names, sectors and themes; a listed security they do not cover gets the sector
`Unclassified`. Until a list has been landed for the source, its universe is the seeds alone.
"""

import datetime as dt
import io
import os
import re
import zipfile
from pathlib import Path

import pandas as pd

from hk_market import landing, reference, settings
from hk_market.sources.errors import SourceDataError

UNCLASSIFIED = "Unclassified"
COLUMNS = ("stock_code", "name", "sector", "security_type", "board")
# The workbook's categories that belong in the universe, and the security_type each becomes.
SECURITY_TYPES = {"Equity": "equity", "Real Estate Investment Trusts": "equity", "Exchange Traded Products": "etf"}
HEADINGS = {"Stock Code": "stock_code", "Name of Securities": "name", "Category": "category",
            "Sub-Category": "sub_category"}
_UPDATED = re.compile(r"Updated as at (\d{2})/(\d{2})/(\d{4})")


def parse_list_of_securities(workbook: bytes) -> pd.DataFrame:
    """stock_code, name, security_type, board, as_of for each listed equity, REIT and ETF of the workbook.

    The sheet holds a title row, an "Updated as at DD/MM/YYYY" row, then a heading row (Stock Code,
    Name of Securities, Category, Sub-Category, Board Lot, ...). Board is GEM when the sub-category
    says so. Raises SourceDataError for a file that is not a workbook (an HTML error page), a sheet
    without the heading row, its date or any security.
    """
    try:
        sheet = pd.read_excel(io.BytesIO(workbook), header=None, dtype=str, engine="openpyxl")
    except (zipfile.BadZipFile, ValueError, KeyError) as error:
        raise SourceDataError(f"HKEX's List of Securities is not an Excel workbook: {error}") from None
    first_column = sheet[0].fillna("").str.strip()
    heading_rows = first_column.index[first_column == "Stock Code"]
    updated = next(filter(None, map(_UPDATED.search, first_column.head(10))), None)
    if heading_rows.empty or updated is None:
        raise SourceDataError("HKEX's List of Securities has no 'Updated as at' line or no 'Stock Code' heading row")
    rows = sheet.iloc[heading_rows[0] + 1 :].set_axis(sheet.iloc[heading_rows[0]].str.strip(), axis=1)
    missing = [heading for heading in HEADINGS if heading not in rows.columns]
    if missing:
        raise SourceDataError(f"HKEX's List of Securities has no {', '.join(missing)} column(s)")
    rows = rows[list(HEADINGS)].rename(columns=HEADINGS).dropna(subset=["stock_code"])
    rows = rows[rows["category"].str.strip().isin(SECURITY_TYPES)]
    if rows.empty:
        raise SourceDataError("HKEX's List of Securities lists no equity, REIT or ETF")
    day, month, year = updated.groups()
    return pd.DataFrame({
        "stock_code": rows["stock_code"].str.strip().str.split(".").str[0].str.zfill(5),
        "name": rows["name"].str.strip(),
        "security_type": rows["category"].str.strip().map(SECURITY_TYPES),
        "board": rows["sub_category"].fillna("").str.contains("GEM").map({True: "GEM", False: "MAIN"}),
        "as_of": dt.date(int(year), int(month), int(day)),
    }).reset_index(drop=True)


def merge(curated: pd.DataFrame, listed: pd.DataFrame | None) -> pd.DataFrame:
    """The curated securities, then the listed ones they lack, with sector Unclassified."""
    universe = curated[list(COLUMNS)]
    if listed is not None:
        extra = listed[~listed["stock_code"].isin(curated["stock_code"])].assign(sector=UNCLASSIFIED)
        universe = pd.concat([universe, extra[list(COLUMNS)]], ignore_index=True)
    return universe.assign(sector=universe["sector"].replace("", UNCLASSIFIED))


def securities(source: str | None = None) -> pd.DataFrame:
    """stock_code, name, sector, security_type, board: the seeds merged with the source's landed list, if any."""
    return merge(reference.securities(), listed(source))


def listed(source: str | None = None) -> pd.DataFrame | None:
    """HKEX's List of Securities as hk_market_reference last landed it from the source, or None before the
    first time. A live list landed before lists were kept per source (landing/reference/) is read until the
    next one lands."""
    path = landed_path(source)
    legacy = settings.landing_dir() / "reference" / path.name
    if not path.exists() and settings.source_name(source) == "live":
        path = legacy
    return pd.read_parquet(path) if path.exists() else None


def landed_path(source: str | None = None) -> Path:
    """landing/<source>/reference/list_of_securities.parquet"""
    return landing.zone(source) / "reference" / "list_of_securities.parquet"


def extract(source: str | None = None) -> int:
    """Fetch HKEX's List of Securities from the source and land it (atomically); returns the securities landed."""
    from hk_market import sources

    listed = parse_list_of_securities(sources.fetch_list_of_securities(source))
    target = landed_path(source)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".partial")
    listed.to_parquet(partial, index=False)
    os.replace(partial, target)
    return len(listed)


def load(source: str | None = None) -> int:
    """Reload the warehouse's reference tables from the source's universe in one transaction; returns its size."""
    from hk_market import warehouse

    with warehouse.connected() as con:
        warehouse.committed(con, lambda: reference.load(con, source))
    return len(securities(source))
