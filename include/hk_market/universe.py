"""The securities universe: the curated seeds plus HKEX's List of Securities (equities, REITs, ETFs).

The weekly hk_market_reference DAG fetches HKEX's ListOfSecurities.xlsx from the run's source (the sample
renders one listing its curated universe), lands it as Parquet in that source's landing zone
(landing/<source>/reference/list_of_securities.parquet) and reloads the warehouse's reference tables. The
curated seeds keep their names, sectors and themes; a listed security they do not cover gets the sector
`Unclassified`. Until a list has been landed for the source, its universe is the seeds alone.

One counter per security, the HKD one: since 2025 the workbook also lists a security's RMB and USD counters
(80700 beside 00700, 09008 beside 03008) as Equity or ETP, with their Trading Currency; the universe leaves every
non-HKD counter out, so prices, turnover and short selling are always in HKD.
"""

import io
import os
import re
from pathlib import Path

import pandas as pd

from hk_market import landing, reference, settings
from hk_market.hkex import pages
from hk_market.hkex.figures import calendar_date
from hk_market.sample import hkex_formats, market
from hk_market.sources.errors import SourceDataError

UNCLASSIFIED = "Unclassified"
COLUMNS = ("stock_code", "name", "sector", "security_type", "board")
# The workbook's categories that belong in the universe, and the security_type each becomes.
SECURITY_TYPES = {"Equity": "equity", "Real Estate Investment Trusts": "equity", "Exchange Traded Products": "etf"}
HEADINGS = {"Stock Code": "stock_code", "Name of Securities": "name", "Category": "category",
            "Sub-Category": "sub_category"}
# Since 2025: each counter's trading currency, and on a security's HKD row the code of its RMB counter.
CURRENCY_HEADINGS = {"Trading Currency": "currency", "RMB Counter": "rmb_counter"}
HKD = "HKD"
_UPDATED = re.compile(r"Updated as at (\d{2})/(\d{2})/(\d{4})")
_CODE = re.compile(r"(\d{1,5})(?:\.0)?")


def parse_list_of_securities(workbook: bytes) -> pd.DataFrame:
    """stock_code, name, security_type, board, as_of for each listed equity, REIT and ETF of the workbook.

    The sheet holds a title row, an "Updated as at DD/MM/YYYY" row, then a heading row (Stock Code,
    Name of Securities, Category, Sub-Category, Board Lot, ..., and since 2025 Trading Currency and RMB
    Counter) and a row per counter, its code as text ('00001'). Board is GEM when the sub-category says so
    (REITs and debt securities have none). Only HKD counters are kept (see the module's docstring). Raises
    SourceDataError for a file that is not a workbook (an HTML error page), a sheet without the heading row,
    its date or any security, a code that is not one to five digits, or a code listed twice.
    """
    try:
        sheet = pd.read_excel(io.BytesIO(workbook), header=None, dtype=str, engine="openpyxl")
    except Exception as error:  # noqa: BLE001 - any failure to read untrusted bytes is this one error
        raise SourceDataError(f"HKEX's List of Securities is not a readable Excel workbook: {error!r}"[:300]) from None
    first_column = sheet[0].fillna("").str.strip() if len(sheet.columns) else pd.Series(dtype=str)
    heading_rows = first_column.index[first_column == "Stock Code"]
    updated = next(filter(None, map(_UPDATED.search, first_column.head(10))), None)
    if heading_rows.empty or updated is None:
        raise SourceDataError("HKEX's List of Securities has no 'Updated as at' line or no 'Stock Code' heading row")
    rows = sheet.iloc[heading_rows[0] + 1 :].set_axis(sheet.iloc[heading_rows[0]].fillna("").str.strip(), axis=1)
    missing = [heading for heading in HEADINGS if heading not in rows.columns]
    if missing:
        raise SourceDataError(f"HKEX's List of Securities has no {', '.join(missing)} column(s)")
    if rows.columns.duplicated().any():
        twice = rows.columns[rows.columns.duplicated()][0]
        raise SourceDataError(f"HKEX's List of Securities has the column {twice!r} twice")
    rows = rows.dropna(subset=["Stock Code"])
    rows = rows[[*HEADINGS, *(heading for heading in CURRENCY_HEADINGS if heading in rows.columns)]]
    rows = rows.rename(columns={**HEADINGS, **CURRENCY_HEADINGS}).fillna("").apply(lambda column: column.str.strip())
    rows = rows[rows["category"].isin(SECURITY_TYPES)]
    rows = rows.assign(stock_code=rows["stock_code"].map(_stock_code))
    rows = rows[_hkd_counters(rows)]
    if rows.empty:
        raise SourceDataError("HKEX's List of Securities lists no equity, REIT or ETF traded in HKD")
    if not rows["stock_code"].is_unique:
        twice = rows["stock_code"][rows["stock_code"].duplicated()].iloc[0]
        raise SourceDataError(f"HKEX's List of Securities lists stock code {twice} twice")
    return pd.DataFrame({
        "stock_code": rows["stock_code"],
        "name": rows["name"],
        "security_type": rows["category"].map(SECURITY_TYPES),
        "board": rows["sub_category"].str.contains("GEM").map({True: "GEM", False: "MAIN"}),
        "as_of": calendar_date(*reversed(updated.groups()), "/".join(updated.groups()), "HKEX's List of Securities"),
    }).reset_index(drop=True)


def _stock_code(printed: str) -> str:
    """'00001' (or 1, as workbooks before 2025 stored it) -> '00001'; SourceDataError for anything else."""
    match = _CODE.fullmatch(printed)
    if match is None:
        raise SourceDataError(f"HKEX's List of Securities has the stock code {printed[:40]!r}, not 1 to 5 digits")
    return match[1].zfill(5)


def _hkd_counters(rows: pd.DataFrame) -> pd.Series:
    """Which rows are HKD counters: a Trading Currency of HKD where the workbook has that column, and no code that
    a row names as its RMB Counter."""
    hkd = rows["currency"].str.upper().eq(HKD) if "currency" in rows else pd.Series(True, index=rows.index)
    if "rmb_counter" in rows:
        rmb_codes = {_stock_code(code) for code in rows["rmb_counter"] if code}
        hkd &= ~rows["stock_code"].isin(rmb_codes)
    return hkd


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
    first time."""
    path = landed_path(source)
    return pd.read_parquet(path) if path.exists() else None


def loaded_securities(source: str | None = None) -> pd.DataFrame:
    """The securities core.securities holds: the curated ones (or the sample's full market when it is emitted, for
    benchmarks: its invented securities keep their own sectors), then the listed ones they lack."""
    curated = reference.securities()
    if settings.sample_full_market():
        curated = market.universe(full_market=True)[list(curated.columns)]
    return merge(curated, listed(source))


def landed_path(source: str | None = None) -> Path:
    """landing/<source>/reference/list_of_securities.parquet"""
    return landing.zone(source) / "reference" / "list_of_securities.parquet"


def extract(source: str | None = None) -> int:
    """Fetch HKEX's List of Securities from the source and land it (atomically); returns the securities landed."""
    listed = parse_list_of_securities(fetch_list_of_securities(source))
    target = landed_path(source)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".partial")
    listed.to_parquet(partial, index=False)
    os.replace(partial, target)
    return len(listed)


def fetch_list_of_securities(source: str | None = None) -> bytes:
    """HKEX's List of Securities workbook from the source: live downloads it; the sample's lists its curated universe
    as of the anchor day (the full-market universe's invented securities are loaded as they are)."""
    if settings.source_name(source) == "live":
        return pages.list_of_securities()
    return hkex_formats.render_list_of_securities(market.universe(), market.ANCHOR_DAY)
