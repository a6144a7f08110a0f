"""The universe: HKEX's List of Securities merged with the curated seeds, landed and loaded into the warehouse."""

import datetime as dt
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from hk_market import reference, universe
from hk_market.sources import live
from hk_market.sources.errors import SourceDataError

WORKBOOK = Path(__file__).parent / "fixtures" / "hkex_list_of_securities" / "ListOfSecurities.xlsx"


@pytest.fixture
def workbook() -> bytes:
    return WORKBOOK.read_bytes()


def test_the_list_gives_every_equity_reit_and_etf_with_its_board(workbook):
    listed = universe.parse_list_of_securities(workbook)
    assert listed.drop(columns="as_of").values.tolist() == [
        ["00001", "CKH HOLDINGS", "equity", "MAIN"],
        ["00002", "CLP HOLDINGS", "equity", "MAIN"],
        ["00008", "PCCW", "equity", "MAIN"],
        ["00700", "TENCENT", "equity", "MAIN"],
        ["00823", "LINK REIT", "equity", "MAIN"],
        ["02800", "TRACKER FUND", "etf", "MAIN"],
        ["03033", "CSOP HS TECH", "etf", "MAIN"],
        ["07200", "FL2 CSOP HSI", "etf", "MAIN"],
        ["08083", "YOUZAN", "equity", "GEM"],
    ]
    assert set(listed["as_of"]) == {dt.date(2024, 11, 14)}


def test_listed_securities_without_a_curated_sector_are_unclassified(workbook):
    merged = universe.merge(reference.securities(), universe.parse_list_of_securities(workbook))
    by_code = merged.set_index("stock_code")
    assert by_code.loc[["00008", "07200", "08083"], "sector"].tolist() == ["Unclassified"] * 3
    assert by_code.loc["00700", ["name", "sector"]].tolist() == ["Tencent Holdings", "Information Technology"]
    assert len(merged) == len(reference.securities()) + 3
    assert merged["stock_code"].is_unique


def test_a_curated_security_without_a_sector_is_unclassified_too():
    curated = pd.DataFrame([["00005", "HSBC Holdings", "", "equity", "MAIN"]], columns=list(universe.COLUMNS))
    assert universe.merge(curated, None)["sector"].tolist() == ["Unclassified"]


def test_before_any_list_is_landed_the_universe_is_the_seeds(scratch_warehouse):
    pd.testing.assert_frame_equal(universe.securities(), reference.securities())


def test_an_html_page_instead_of_the_workbook_raises():
    with pytest.raises(SourceDataError, match="not an Excel workbook"):
        universe.parse_list_of_securities(b"<!DOCTYPE html><html><body>Page Not Found</body></html>")


def test_a_workbook_without_its_heading_row_raises(workbook, tmp_path):
    sheet = pd.read_excel(WORKBOOK, header=None)
    sheet.iloc[2, 0] = "Code"
    sheet.to_excel(tmp_path / "renamed.xlsx", header=False, index=False)
    with pytest.raises(SourceDataError, match="no 'Stock Code' heading row"):
        universe.parse_list_of_securities((tmp_path / "renamed.xlsx").read_bytes())


def test_extract_lands_the_list_and_load_puts_the_universe_in_the_warehouse(scratch_warehouse, workbook, monkeypatch):
    monkeypatch.setattr(live, "fetch_list_of_securities", lambda: workbook)
    assert universe.extract() == 9
    assert universe.landed_path().exists()
    assert universe.load() == len(reference.securities()) + 3
    with duckdb.connect(str(scratch_warehouse), read_only=True) as con:
        rows = con.execute("select stock_code, sector, board from core.securities where stock_code in "
                           "('00700', '08083') order by 1").fetchall()
        groups = con.execute("select stock_code from core.security_groups where group_type = 'sector' "
                             "and group_name = 'Unclassified' order by 1").fetchall()
    assert rows == [("00700", "Information Technology", "MAIN"), ("08083", "Unclassified", "GEM")]
    assert groups == [("00008",), ("07200",), ("08083",)]
