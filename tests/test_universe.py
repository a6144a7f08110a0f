"""The universe: HKEX's List of Securities merged with the curated seeds, landed and loaded into the warehouse."""

import datetime as dt
import io
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from hk_market import pipeline, reference, universe
from hk_market.hkex import pages
from hk_market.sample import market
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
        ["03008", "BOSHASHKEY BTC", "etf", "MAIN"],
        ["03033", "CSOP HS TECH", "etf", "MAIN"],
        ["07200", "FL2 CSOP HSI", "etf", "MAIN"],
        ["08083", "YOUZAN", "equity", "GEM"],
    ]
    assert set(listed["as_of"]) == {dt.date(2025, 11, 14)}


def test_only_the_hkd_counter_of_a_security_is_in_the_universe(workbook):
    codes = set(universe.parse_list_of_securities(workbook)["stock_code"])
    assert {"00700", "03008"} <= codes
    assert not {"80700", "09008"} & codes  # Tencent's RMB counter, the Bitcoin ETF's USD counter


def _sheet(workbook: bytes) -> pd.DataFrame:
    return pd.read_excel(io.BytesIO(workbook), header=None, dtype=str)


def _saved(sheet: pd.DataFrame, tmp_path) -> bytes:
    sheet.to_excel(tmp_path / "edited.xlsx", header=False, index=False)
    return (tmp_path / "edited.xlsx").read_bytes()


def test_a_workbook_from_before_2025_with_numeric_codes_and_no_currency_columns_is_read(workbook, tmp_path):
    sheet = _sheet(workbook).iloc[:, :-2].astype(object)
    sheet.iloc[3:, 0] = sheet.iloc[3:, 0].astype(int)
    listed = universe.parse_list_of_securities(_saved(sheet, tmp_path))
    assert {"00001", "00700", "80700"} <= set(listed["stock_code"])


def test_a_stock_code_listed_twice_raises(workbook, tmp_path):
    sheet = _sheet(workbook)
    with pytest.raises(SourceDataError, match="lists stock code 00001 twice"):
        universe.parse_list_of_securities(_saved(pd.concat([sheet, sheet.iloc[[3]]]), tmp_path))


def test_a_stock_code_that_is_not_digits_raises_naming_it(workbook, tmp_path):
    sheet = _sheet(workbook)
    sheet.iloc[3, 0] = "0000A"
    with pytest.raises(SourceDataError, match="has the stock code '0000A', not 1 to 5 digits"):
        universe.parse_list_of_securities(_saved(sheet, tmp_path))


def test_an_updated_as_at_date_that_does_not_exist_raises_naming_it(workbook, tmp_path):
    sheet = _sheet(workbook)
    sheet.iloc[1, 0] = "Updated as at 31/11/2025"
    with pytest.raises(SourceDataError, match="is dated '31/11/2025': no such date"):
        universe.parse_list_of_securities(_saved(sheet, tmp_path))


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
    with pytest.raises(SourceDataError, match="not a readable Excel workbook"):
        universe.parse_list_of_securities(b"<!DOCTYPE html><html><body>Page Not Found</body></html>")


def test_a_workbook_without_its_heading_row_raises(workbook, tmp_path):
    sheet = pd.read_excel(WORKBOOK, header=None)
    sheet.iloc[2, 0] = "Code"
    sheet.to_excel(tmp_path / "renamed.xlsx", header=False, index=False)
    with pytest.raises(SourceDataError, match="no 'Stock Code' heading row"):
        universe.parse_list_of_securities((tmp_path / "renamed.xlsx").read_bytes())


def test_extract_lands_the_list_and_load_puts_the_universe_in_the_warehouse(scratch_warehouse, workbook, monkeypatch):
    monkeypatch.setattr(pages, "list_of_securities", lambda: workbook)
    assert universe.extract("live") == 10
    assert universe.landed_path("live").exists()
    assert pipeline.load_reference("live") == len(reference.securities()) + 3
    with duckdb.connect(str(scratch_warehouse), read_only=True) as con:
        rows = con.execute("select stock_code, sector, board from core.securities where stock_code in "
                           "('00700', '08083') order by 1").fetchall()
        groups = con.execute("select stock_code from core.security_groups where group_type = 'sector' "
                             "and group_name = 'Unclassified' order by 1").fetchall()
    assert rows == [("00700", "Information Technology", "MAIN"), ("08083", "Unclassified", "GEM")]
    assert groups == [("00008",), ("07200",), ("08083",)]


def test_the_sample_list_of_securities_is_what_the_live_parser_reads():
    listed = universe.parse_list_of_securities(universe.fetch_list_of_securities("sample"))
    columns = ["stock_code", "security_type", "board"]
    assert listed[columns].values.tolist() == market.universe()[columns].values.tolist()
    assert listed.set_index("stock_code").loc["00700", "name"] == "TENCENT HOLDINGS"
    assert set(listed["as_of"]) == {market.ANCHOR_DAY}
    assert {"etf", "equity"} == set(listed["security_type"])


def test_the_sample_list_adds_nothing_to_the_seeds_and_is_kept_apart_from_the_live_one(scratch_warehouse, workbook,
                                                                                      monkeypatch):
    monkeypatch.setattr(pages, "list_of_securities", lambda: workbook)
    universe.extract("live")
    assert universe.extract("sample") == len(reference.securities())
    pd.testing.assert_frame_equal(universe.securities("sample"), reference.securities())
    assert len(universe.securities("live")) == len(reference.securities()) + 3
