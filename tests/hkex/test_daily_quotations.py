"""HKEX Daily Quotations: per-stock HK$ turnover (QUOTATIONS) and short selling (SHORT SELLING TURNOVER) of a
hand-written page."""

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from hk_market.datasets.short_selling import parse as short_selling
from hk_market.datasets.short_selling.schema import LANDING_SCHEMA
from hk_market.hkex.daily_quotations import (
    TURNOVER_SCHEMA,
    parse,
    parse_many,
    report_date,
    short_selling_rows,
)
from hk_market.sources.errors import NoTradingDay, SourceDataError

FIXTURES = Path(__file__).parents[1] / "fixtures" / "hkex_daily_quotations"
DAY = dt.date(2024, 11, 13)


@pytest.fixture
def page() -> str:
    return (FIXTURES / "d241113e.htm").read_text()


def test_turnover_of_each_hkd_stock_that_traded_is_read_exactly(page):
    expected = pd.DataFrame({
        "trade_date": pd.Timestamp(DAY),
        "stock_code": ["00001", "00005", "00136", "00388", "00700", "02800", "09988"],
        "turnover_hkd": [155_577_858.0, 1_539_487_005.0, 15_874_350.0, 1_660_391_448.0, 7_474_521_088.0,
                         4_231_004_120.0, 5_441_031_910.0],
    }).astype(TURNOVER_SCHEMA)
    pd.testing.assert_frame_equal(parse(page), expected)


def test_suspended_untraded_unpriced_and_non_hkd_counters_give_no_row(page):
    codes = set(parse(page)["stock_code"])
    assert not {"00017", "00008", "03750", "09008", "80700"} & codes


def test_a_page_break_inside_a_stocks_two_lines_keeps_its_turnover(page):
    assert "18,203,957\n</font></pre><pre><font size='1'>" in page
    assert parse(page).set_index("stock_code").loc["00700", "turnover_hkd"] == 7_474_521_088.0


def test_the_holiday_page_is_a_day_without_trading_not_bad_data():
    holiday = (FIXTURES / "d241225e.htm").read_text()
    with pytest.raises(NoTradingDay, match="no trading, HKEX says 'Hong Kong Public Holiday, NO TRADING.'"):
        parse(holiday)


def test_a_turnover_beyond_any_days_trading_is_an_error(page):
    with pytest.raises(SourceDataError, match="QUOTATIONS prints stock 00001's turnover as "
                                              "HK\\$10,000,000,000,000,000, at or above the ceiling"):
        parse(page.replace("    155,577,858", "10,000,000,000,000,000"))


def test_a_stock_code_printed_twice_is_an_error_not_the_larger_kept(page):
    ckh = "     1  CKH HOLDINGS     HKD"
    with pytest.raises(SourceDataError, match="HKEX Daily Quotations of 2024-11-13: QUOTATIONS prints stock code "
                                              "00001 twice"):
        parse(page.replace("     5  HSBC HOLDINGS    HKD", ckh))


@pytest.mark.parametrize("printed, cause", [
    ("31 NOV 2024", "is dated '31 NOV 2024': no such date"),
    ("13 NOV 9999", "is dated '13 NOV 9999': 9999-11-13 is outside the XHKG calendar's range"),
])
def test_a_heading_date_that_is_no_day_of_the_calendar_is_named(page, printed, cause):
    with pytest.raises(SourceDataError, match=f"HKEX Daily Quotations page {cause}"):
        report_date(page.replace("13 NOV 2024", printed, 1))


def test_the_date_line_is_read_before_any_other_date_in_the_heading(page):
    assert report_date(page.replace("DAILY QUOTATIONS\n", "DAILY QUOTATIONS 01/01/2020\n", 1)) == DAY


def test_the_day_is_read_from_the_heading(page):
    assert report_date(page) == DAY


def test_a_heading_dated_dd_mm_yyyy_is_read_too(page):
    assert report_date(page.replace("DATE: 13 NOV 2024 (WEDNESDAY)", "DATE: 13/11/2024")) == DAY


def test_the_heading_s_page_number_and_disclaimer_and_the_centred_anchors_are_read_past(page):
    assert "PAGE:    1" in page and "DISCLAIMER" in page
    assert '\n                                                      <a name = "quotations">' in page
    assert len(parse(page)) == 7


def test_the_one_line_layout_of_wider_pages_is_read_too(page):
    one_line = "   700  TENCENT          HKD  416.00  410.00  410.20  418.40  407.60  410.00  18,203,957  7,474,521,088"
    start = page.index("   700  TENCENT")
    end = page.index("  2800  TRACKER FUND")
    frame = parse(page[:start] + one_line + "\n" + page[end:])
    assert frame.set_index("stock_code").loc["00700", "turnover_hkd"] == 7_474_521_088.0
    assert len(frame) == 7


def test_a_stock_line_in_neither_layout_raises_naming_it(page):
    line = "     5  HSBC HOLDINGS    HKD      72.10"
    assert line in page
    broken = page.replace(line, line + "  EXTRA")
    with pytest.raises(SourceDataError, match=r"1 stock line\(s\) in neither known layout, first '5  HSBC HOLDINGS"):
        parse(broken)


def test_a_page_cut_off_inside_the_quotations_raises_as_truncated(page):
    with pytest.raises(SourceDataError, match="truncated"):
        parse(page[: page.index("  9988  BABA-W")])


def test_an_html_page_without_quotations_raises():
    with pytest.raises(SourceDataError, match="no date in its heading"):
        parse("<html><body><h1>Page Not Found</h1></body></html>")
    with pytest.raises(SourceDataError, match="no QUOTATIONS section"):
        parse("<html><body><pre>DAILY QUOTATIONS 13 NOV 2024</pre></body></html>")


def test_parse_many_of_no_pages_is_an_empty_frame_with_the_schema():
    frame = parse_many([])
    assert frame.empty and frame.dtypes.astype(str).to_dict() == TURNOVER_SCHEMA


def test_short_selling_of_each_hkd_counter_is_read_exactly(page):
    expected = pd.DataFrame({
        "trade_date": pd.Timestamp(DAY),
        "stock_code": ["00001", "00003", "00005", "00700", "02800", "09988"],
        "short_shares": [402_000, 3_290_000, 1_830_400, 2_904_300, 30_512_000, 8_412_300],
        "short_turnover_hkd": [16_240_800.0, 23_424_800.0, 131_605_760.0, 1_190_763_000.0, 609_019_520.0,
                               744_067_935.0],
        "from_daily_quotations": True,
    }).astype(LANDING_SCHEMA)
    pd.testing.assert_frame_equal(short_selling.parse_many([page]), expected)


def test_the_short_selling_section_is_read_from_its_own_rows_not_the_adjustments_after_it(page):
    row = "      1 CKH HOLDINGS                            10,000              406,500"
    assert row in page
    adjusted = page.replace(row, row + "                1,000               40,650")
    pd.testing.assert_frame_equal(short_selling_rows(adjusted), short_selling_rows(page))


CKH = "      1 CKH HOLDINGS                           402,000"
BABA = "   9988 BABA-W                               8,412,300          744,067,935           61,450,320"


@pytest.mark.parametrize("row, changed, found, what, printed", [
    pytest.param(CKH, CKH.replace("402,000", "412,000"), "47,364,000", "short shares", "47,354,000",
                 id="short shares"),
    pytest.param(BABA, BABA.replace("61,450,320", "61,450,321"), "331,991,566", "total shares", "331,991,565",
                 id="total shares"),
    pytest.param(" %80700 TENCENT-R ", " #80700 TENCENT-R ", "47,353,000", "short shares", "47,354,000",
                 id="a row in no known layout"),
])
def test_short_selling_rows_that_disagree_with_the_total_line_raise_naming_the_section_and_both_numbers(
    page, row, changed, found, what, printed
):
    assert row in page
    with pytest.raises(SourceDataError) as failure:
        short_selling_rows(page.replace(row, changed))
    assert str(failure.value) == (
        f"HKEX Daily Quotations of 2024-11-13, SHORT SELLING TURNOVER - DAILY REPORT section: its rows add up to "
        f"{found} {what} but its 'Total Shares (SH)' line says {printed}"
    )


def test_a_page_cut_off_inside_the_short_selling_section_raises_as_truncated(page):
    with pytest.raises(SourceDataError, match="truncated: its SHORT SELLING TURNOVER - DAILY REPORT section never"):
        short_selling_rows(page[: page.index("   9988 BABA-W      ")])


def test_a_short_selling_section_without_its_total_line_raises_as_truncated(page):
    start = page.index("       Total Shares (SH):")
    cut = page[:start] + page[page.index("-----", start):]
    with pytest.raises(SourceDataError, match="2024-11-13 is truncated: its SHORT SELLING TURNOVER - DAILY REPORT "
                                              "section has no total line"):
        short_selling_rows(cut)


def test_a_page_without_a_short_selling_section_raises(page):
    with pytest.raises(SourceDataError, match="has no SHORT SELLING TURNOVER - DAILY REPORT section"):
        short_selling_rows(page.replace('<a name = "short_selling">', ""))
