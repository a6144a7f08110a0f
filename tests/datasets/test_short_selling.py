"""HKEX short selling day-close report: parse() on hand-written pages and on the sample renderer's."""

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from hk_market.datasets.short_selling.parse import parse, parse_many, report_date
from hk_market.datasets.short_selling.schema import LANDING_SCHEMA
from hk_market.sample.hkex_formats import render_short_selling_reports
from hk_market.sources.errors import NotPublished, SourceDataError

FIXTURES = Path(__file__).parents[1] / "fixtures" / "hkex_short_selling"
DAY = dt.date(2024, 11, 14)


def _page(name: str) -> str:
    return (FIXTURES / name).read_text()


@pytest.fixture
def main_board() -> str:
    return _page("ashtmain_20241114.htm")


def _frame(rows: list[tuple[str, int, float]], day: dt.date = DAY) -> pd.DataFrame:
    return pd.DataFrame(
        [(pd.Timestamp(day), code, shares, turnover, False) for code, shares, turnover in rows],  # day-close rows
        columns=list(LANDING_SCHEMA),
    ).astype(LANDING_SCHEMA)


def test_main_board_report_parses_to_exact_values(main_board):
    expected = _frame([
        ("00001", 1_380_000, 55_752_000), ("00002", 412_500, 27_005_875),
        ("00005", 2_068_000, 148_896_000), ("00011", 301_200, 29_216_400),
        ("00388", 2_251_300, 666_384_800), ("00700", 3_456_700, 1_369_853_210),
        ("00939", 48_213_000, 272_403_450), ("01299", 5_120_400, 299_543_400),
        ("01810", 21_904_600, 579_476_204), ("02800", 48_021_500, 958_989_355),
        ("03033", 11_380_000, 47_796_000), ("03690", 6_712_300, 1_091_919_841),
        ("09988", 9_811_400, 870_411_354),
    ])
    pd.testing.assert_frame_equal(parse(main_board), expected)


def test_parsed_frame_has_the_landing_columns_and_dtypes_in_order(main_board):
    assert parse(main_board).dtypes.astype(str).to_dict() == LANDING_SCHEMA
    assert list(parse(main_board).columns) == list(LANDING_SCHEMA)


def test_codes_are_zero_padded_to_five_digits(main_board):
    codes = parse(main_board)["stock_code"]
    assert codes.str.fullmatch(r"\d{5}").all()
    assert {"00001", "00700", "09988"} <= set(codes)


def test_counters_marked_with_percent_are_dropped_as_not_hkd(main_board):
    assert "% 9008" in main_board and "%80700" in main_board
    assert not {"09008", "80700"} & set(parse(main_board)["stock_code"])


def test_report_totals_that_disagree_raise_naming_the_section(main_board):
    doctored = main_board.replace("3,456,700  1,369,853,210", "3,456,700  1,369,853,211")
    message = r"Main Board section .* 6,417,647,890 HK\$ turnover but its total line says 6,417,647,889"
    with pytest.raises(ValueError, match=message):
        parse(doctored)


def test_a_share_count_that_disagrees_with_the_total_line_raises(main_board):
    doctored = main_board.replace("3,456,700  1,369,853,210", "3,456,701  1,369,853,210")
    with pytest.raises(ValueError, match=r"Main Board section .* 161,049,201 shares .* 161,049,200"):
        parse(doctored)


def test_a_row_that_cannot_be_read_raises_through_the_securities_count(main_board):
    doctored = main_board.replace("CKH HOLDINGS           1,380,000", "CKH HOLDINGS           1,380,000 SH")
    with pytest.raises(ValueError, match=r"Main Board section .* 14 securities .* 15"):
        parse(doctored)


def test_a_page_saying_the_report_is_not_available_yet_raises_not_published_so_it_is_retried():
    with pytest.raises(NotPublished, match="not available yet"):
        parse(_page("not_available.htm"))


def test_the_report_date_is_read_from_the_page(main_board):
    assert report_date(main_board) == DAY


def test_an_html_page_without_a_report_raises():
    with pytest.raises(ValueError, match="no HKEX short selling day-close report"):
        parse("<html><body><h1>Service Unavailable</h1></body></html>")


def test_a_report_cut_off_before_its_total_lines_raises_as_truncated(main_board):
    with pytest.raises(ValueError, match="Main Board section .* truncated"):
        parse(main_board[: main_board.index("       9988  BABA-W")])


def test_a_report_cut_off_inside_its_total_lines_raises_as_truncated(main_board):
    with pytest.raises(ValueError, match="Main Board section .* truncated"):
        parse(main_board[: main_board.index("(C) Short Selling of all") + 60])


def test_a_report_without_its_trading_date_raises(main_board):
    with pytest.raises(ValueError, match="Main Board section .* no 'TRADING DATE"):
        parse(main_board.replace("TRADING DATE : 14 NOV 2024 (THURSDAY)", ""))


def test_parse_many_concatenates_the_main_board_and_gem_pages():
    frame = parse_many([_page("ashtmain_20241114.htm"), _page("ashtgem_20241114.htm")])
    assert len(frame) == 15
    assert frame["stock_code"].tail(2).tolist() == ["08030", "08083"]
    assert frame.dtypes.astype(str).to_dict() == LANDING_SCHEMA


def test_parse_many_of_no_pages_is_an_empty_landing_frame():
    frame = parse_many([])
    assert frame.empty and frame.dtypes.astype(str).to_dict() == LANDING_SCHEMA


def _sample_rows() -> tuple[pd.DataFrame, dict[str, str]]:
    rows = pd.DataFrame({
        "trade_date": pd.Timestamp(DAY),
        "stock_code": ["00700", "00001", "08083", "09988", "02800"],
        "short_shares": [3_456_700, 1_380_000, 12_444_000, 1_234_567_890, 48_021_500],
        "short_turnover_hkd": [1_369_853_210.0, 55_752_000.4, 1_035_288.0, 12_345_678_901.0, 958_989_355.0],
        "board": ["MAIN", "MAIN", "GEM", "MAIN", "MAIN"],
    })
    names = {"00700": "TENCENT", "00001": "CKH HOLDINGS", "08083": "YOUZAN", "02800": "TRACKER FUND",
             "09988": "Sample Holdings 09988 & Co with a long name"}
    return rows, names


def test_a_rendered_report_parses_back_to_its_rows():
    rows, names = _sample_rows()
    expected = _frame([  # Main Board then GEM, each by code; turnover printed in whole HK$
        ("00001", 1_380_000, 55_752_000), ("00700", 3_456_700, 1_369_853_210),
        ("02800", 48_021_500, 958_989_355), ("09988", 1_234_567_890, 12_345_678_901),
        ("08083", 12_444_000, 1_035_288),
    ])
    (page,) = render_short_selling_reports([DAY], rows, names)
    pd.testing.assert_frame_equal(parse(page), expected)


def test_a_rendered_report_prints_codes_unpadded_and_its_dates_as_hkex_does():
    rows, names = _sample_rows()
    page = render_short_selling_reports([DAY], rows, names)[0]
    assert "TRADING DATE : 14 NOV 2024 (THURSDAY)" in page
    assert "\n        700  TENCENT " in page
    assert "Short Selling Turnover (GEM) up to day close today" in page


def test_a_rendered_day_without_gem_short_selling_still_has_a_gem_section_with_zero_totals():
    rows, names = _sample_rows()
    page = render_short_selling_reports([DAY], rows[rows["board"] == "MAIN"], names)[0]
    assert "(GEM)" in page
    assert len(parse(page)) == 4


def test_rendering_a_stock_without_a_name_raises():
    rows, names = _sample_rows()
    del names["00700"]
    with pytest.raises(ValueError, match="00700"):
        render_short_selling_reports([DAY], rows, names)


def test_older_reports_counting_securities_without_the_word_all_are_read(main_board):
    older = main_board.replace("Total No. of all Securities recording", "Total No. of Securities recording")
    assert older != main_board
    pd.testing.assert_frame_equal(parse(older), parse(main_board))


@pytest.mark.parametrize("printed, cause", [
    ("31 NOV 2024", "dated '31 NOV 2024': no such date"),
    ("14 NOV 9999", "dated '14 NOV 9999': 9999-11-14 is outside the XHKG calendar's range"),
])
def test_a_trading_date_that_is_no_day_of_the_calendar_is_named(main_board, printed, cause):
    with pytest.raises(SourceDataError, match=f"short selling report is {cause}"):
        parse(main_board.replace("14 NOV 2024", printed))


def test_a_number_too_large_for_shares_raises_the_projects_error(main_board):
    with pytest.raises(SourceDataError, match="prints a number too large for shares or HK\\$"):
        parse(main_board.replace("1,380,000", "99,999,999,999,999,999,999"))
