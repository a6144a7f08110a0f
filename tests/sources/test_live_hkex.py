"""The live HKEX fetches: the right file for each session, or a clear error; HTTP answered from fixtures."""

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from hk_market.sources import daily_quotations, short_selling, southbound
from hk_market.sources.errors import NotPublished, NoTradingDay, SourceDataError, StalePage
from hk_market.sources.live import hkex

FIXTURES = Path(__file__).parents[1] / "fixtures"
DAY = dt.date(2024, 11, 14)
PREVIOUS = dt.date(2024, 11, 13)
MAIN, GEM = hkex.SHORT_SELLING_URLS


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text()


@pytest.fixture
def published(monkeypatch) -> dict[str, str]:
    """url -> what HKEX serves there; any other url answers HTTP 404."""
    pages: dict[str, str] = {}

    def get_text(url: str) -> str:
        if url not in pages:
            raise NotPublished(f"{url}: HTTP 404, not published yet or no such day")
        return pages[url]

    monkeypatch.setattr(hkex.http, "get_text", get_text)
    return pages


@pytest.fixture
def short_selling_reports(published) -> dict[str, str]:
    published[MAIN] = fixture("hkex_short_selling/ashtmain_20241114.htm")
    published[GEM] = fixture("hkex_short_selling/ashtgem_20241114.htm")
    return published


def test_the_latest_session_reads_the_main_board_and_gem_report_pages(short_selling_reports):
    pages = hkex.fetch_short_selling([DAY])
    assert pages == [short_selling_reports[MAIN], short_selling_reports[GEM]]
    assert len(short_selling.parse_many(pages)) == 15


@pytest.fixture
def earlier_quotations(short_selling_reports) -> dict[str, str]:
    short_selling_reports[hkex.DAILY_QUOTATIONS_URL.format(day=PREVIOUS)] = fixture(
        "hkex_daily_quotations/d241113e.htm")
    return short_selling_reports


def test_an_earlier_session_reads_the_short_selling_section_of_its_daily_quotations(earlier_quotations):
    frame = short_selling.parse_many(hkex.fetch_short_selling([PREVIOUS, DAY]))
    assert frame.groupby(frame["trade_date"].dt.date).size().to_dict() == {PREVIOUS: 6, DAY: 15}
    earlier = frame[frame["trade_date"].dt.date == PREVIOUS].reset_index(drop=True)
    section = daily_quotations.parse_short_selling(earlier_quotations[hkex.DAILY_QUOTATIONS_URL.format(day=PREVIOUS)])
    pd.testing.assert_frame_equal(earlier, section[list(short_selling.LANDING_SCHEMA)])


def test_a_daily_quotations_page_fetched_for_turnover_is_not_downloaded_again_for_short_selling(earlier_quotations,
                                                                                                  monkeypatch):
    fetched = []
    serve = hkex.http.get_text
    monkeypatch.setattr(hkex.http, "get_text", lambda url: fetched.append(url) or serve(url))
    page_url = hkex.DAILY_QUOTATIONS_URL.format(day=PREVIOUS)
    hkex.fetch_daily_quotations([PREVIOUS])
    pages = hkex.fetch_short_selling([PREVIOUS, DAY])
    assert fetched.count(page_url) == 1
    assert '<a name = "quotations">' not in pages[0]  # the short selling part is kept, not the whole page
    pd.testing.assert_frame_equal(daily_quotations.parse_short_selling(pages[0]),
                                  daily_quotations.parse_short_selling(earlier_quotations[page_url]))
    hkex.fetch_short_selling([PREVIOUS, DAY])  # used once: a later fetch downloads the page again
    assert fetched.count(page_url) == 2


def test_an_earlier_session_has_no_gem_short_selling_and_says_so(earlier_quotations, caplog):
    hkex.fetch_short_selling([PREVIOUS, DAY])
    assert ("short selling of 2024-11-13 is the Main Board's only, from its Daily Quotations: HKEX serves GEM's "
            "day-close report for the latest session (2024-11-14) alone") in caplog.text


def test_an_earlier_session_whose_short_selling_disagrees_with_its_total_line_is_bad_data(earlier_quotations):
    url = hkex.DAILY_QUOTATIONS_URL.format(day=PREVIOUS)
    row = "      1 CKH HOLDINGS                           402,000"
    assert row in earlier_quotations[url]
    earlier_quotations[url] = earlier_quotations[url].replace(row, row.replace("402,000", "402,001"))
    with pytest.raises(SourceDataError, match="rows add up to 47,354,001 short shares but its 'Total Shares"):
        short_selling.parse_many(hkex.fetch_short_selling([PREVIOUS, DAY]))


def test_a_session_after_the_reports_day_is_not_published_yet(short_selling_reports):
    with pytest.raises(NotPublished, match="still for 2024-11-14: 2024-11-15's is not out yet"):
        hkex.fetch_short_selling([dt.date(2024, 11, 15)])


def test_the_not_available_yet_page_is_not_published_yet(published):
    published[MAIN] = published[GEM] = fixture("hkex_short_selling/not_available.htm")
    with pytest.raises(NotPublished, match="not available yet"):
        hkex.fetch_short_selling([DAY])


def test_a_board_whose_report_lags_is_not_published_yet(short_selling_reports):
    short_selling_reports[GEM] = short_selling_reports[GEM].replace("14 NOV 2024", "13 NOV 2024")
    with pytest.raises(NotPublished, match="one is not updated yet"):
        hkex.fetch_short_selling([DAY])


def test_an_earlier_session_without_daily_quotations_is_not_published(short_selling_reports):
    with pytest.raises(NotPublished, match="d241113e.htm: HTTP 404"):
        hkex.fetch_short_selling([PREVIOUS, DAY])


def test_an_earlier_days_daily_quotations_served_for_a_session_are_not_published_yet(published):
    published[hkex.DAILY_QUOTATIONS_URL.format(day=DAY)] = fixture("hkex_daily_quotations/d241113e.htm")
    with pytest.raises(StalePage, match=r"d241114e.htm is still the page of 2024-11-13: 2024-11-14's is not "
                                        "published yet"):
        hkex.fetch_daily_quotations([DAY])


def test_a_later_days_daily_quotations_served_for_a_session_are_bad_data_naming_both_days(published):
    published[hkex.DAILY_QUOTATIONS_URL.format(day=PREVIOUS)] = fixture("hkex_daily_quotations/d241113e.htm").replace(
        "DATE: 13 NOV 2024", "DATE: 14 NOV 2024")
    with pytest.raises(SourceDataError, match=r"d241113e.htm is for 2024-11-14, not 2024-11-13"):
        hkex.fetch_daily_quotations([PREVIOUS])


def test_the_holiday_page_served_for_a_session_is_a_day_without_trading(published):
    typhoon = dt.date(2024, 12, 24)
    published[hkex.DAILY_QUOTATIONS_URL.format(day=typhoon)] = fixture("hkex_daily_quotations/d241225e.htm")
    with pytest.raises(NoTradingDay) as holiday:
        hkex.fetch_daily_quotations([typhoon])
    assert holiday.value.day == typhoon
    assert str(holiday.value) == ("daily_quotations 2024-12-24: no trading, HKEX says "
                                  "'Hong Kong Public Holiday, NO TRADING.'")


def test_daily_quotations_not_published_yet_are_left_out_with_a_warning(published, caplog):
    assert hkex.fetch_daily_quotations([DAY]) == []
    assert "turnover for 2024-11-14 is estimated" in caplog.text


def test_a_stock_connect_file_is_fetched_for_its_day(published):
    published[hkex.STOCK_CONNECT_URL.format(day=DAY)] = fixture("hkex_stock_connect/data_tab_daily_20241114e.js")
    assert southbound.parse_many(hkex.fetch_southbound([DAY]))["channel"].tolist() == ["SSE", "SZSE"]


def test_an_earlier_days_stock_connect_file_served_for_a_session_is_not_published_yet(published):
    published[hkex.STOCK_CONNECT_URL.format(day=DAY)] = fixture("hkex_stock_connect/data_tab_daily_20241003e.js")
    with pytest.raises(StalePage, match=r"data_tab_daily_20241114e.js is still the page of 2024-10-03"):
        hkex.fetch_southbound([DAY])


def test_the_order_of_the_fetches_changes_no_result(earlier_quotations):
    short_first = hkex.fetch_short_selling([PREVIOUS, DAY])
    hkex.fetch_daily_quotations([PREVIOUS])
    pd.testing.assert_frame_equal(short_selling.parse_many(hkex.fetch_short_selling([PREVIOUS, DAY])),
                                  short_selling.parse_many(short_first))


def test_a_truncated_stock_connect_file_raises_as_bad_data(published):
    whole = fixture("hkex_stock_connect/data_tab_daily_20241114e.js")
    published[hkex.STOCK_CONNECT_URL.format(day=DAY)] = whole[: len(whole) // 2]
    with pytest.raises(ValueError, match="not a complete HKEX Stock Connect 'tabData"):
        hkex.fetch_southbound([DAY])


def test_an_html_page_for_a_southbound_trading_day_is_not_published_yet(published):
    published[hkex.STOCK_CONNECT_URL.format(day=DAY)] = fixture("hkex_stock_connect/error_page.html")
    with pytest.raises(NotPublished, match="an HTML page instead of the file"):
        hkex.fetch_southbound([DAY])


def test_a_day_southbound_is_closed_gives_no_rows_with_or_without_a_file(published):
    golden_week = [dt.date(2024, 10, 2), dt.date(2024, 10, 3)]  # Hong Kong trades, the mainland does not
    published[hkex.STOCK_CONNECT_URL.format(day=golden_week[1])] = fixture(
        "hkex_stock_connect/data_tab_daily_20241003e.js")
    files = hkex.fetch_southbound(golden_week)
    assert len(files) == 1
    assert southbound.parse_many(files).empty
