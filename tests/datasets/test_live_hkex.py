"""The live HKEX fetches (short selling, southbound, Daily Quotations): the right file for each session, or a clear
error; HTTP answered from fixtures."""

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from hk_market.datasets.request import Request
from hk_market.datasets.short_selling import live as short_selling_live
from hk_market.datasets.short_selling import parse as short_selling
from hk_market.datasets.short_selling.schema import LANDING_SCHEMA
from hk_market.datasets.southbound import live as southbound_live
from hk_market.datasets.southbound import parse as southbound
from hk_market.datasets.southbound.live import STOCK_CONNECT_URL
from hk_market.hkex import daily_quotations
from hk_market.hkex.pages import DAILY_QUOTATIONS_URL, DailyQuotations
from hk_market.sources import http
from hk_market.sources.errors import NotPublished, NoTradingDay, SourceDataError, StalePage

FIXTURES = Path(__file__).parents[1] / "fixtures"
DAY = dt.date(2024, 11, 14)
PREVIOUS = dt.date(2024, 11, 13)
MAIN, GEM = short_selling_live.SHORT_SELLING_URLS


def fetch_short_selling(sessions: list[dt.date], pages: DailyQuotations | None = None) -> list[str]:
    return short_selling_live.fetch(Request(sessions, daily_quotations=pages or DailyQuotations()))


def fetch_southbound(sessions: list[dt.date]) -> list[str]:
    return southbound_live.fetch(Request(sessions))


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

    monkeypatch.setattr(http, "get_text", get_text)
    return pages


@pytest.fixture
def short_selling_reports(published) -> dict[str, str]:
    published[MAIN] = fixture("hkex_short_selling/ashtmain_20241114.htm")
    published[GEM] = fixture("hkex_short_selling/ashtgem_20241114.htm")
    return published


def test_the_latest_session_reads_the_main_board_and_gem_report_pages(short_selling_reports):
    pages = fetch_short_selling([DAY])
    assert pages == [short_selling_reports[MAIN], short_selling_reports[GEM]]
    assert len(short_selling.parse_many(pages)) == 15


@pytest.fixture
def earlier_quotations(short_selling_reports) -> dict[str, str]:
    short_selling_reports[DAILY_QUOTATIONS_URL.format(day=PREVIOUS)] = fixture(
        "hkex_daily_quotations/d241113e.htm")
    return short_selling_reports


def test_an_earlier_session_reads_the_short_selling_section_of_its_daily_quotations(earlier_quotations):
    frame = short_selling.parse_many(fetch_short_selling([PREVIOUS, DAY]))
    assert frame.groupby(frame["trade_date"].dt.date).size().to_dict() == {PREVIOUS: 6, DAY: 15}
    earlier = frame[frame["trade_date"].dt.date == PREVIOUS].reset_index(drop=True)
    section = short_selling.parse_many([earlier_quotations[DAILY_QUOTATIONS_URL.format(day=PREVIOUS)]])
    pd.testing.assert_frame_equal(earlier, section[list(LANDING_SCHEMA)])


def test_a_daily_quotations_page_fetched_for_turnover_is_not_downloaded_again_for_short_selling(earlier_quotations,
                                                                                                  monkeypatch):
    fetched = []
    serve = http.get_text
    monkeypatch.setattr(http, "get_text", lambda url: fetched.append(url) or serve(url))
    page_url = DAILY_QUOTATIONS_URL.format(day=PREVIOUS)
    one_extract = DailyQuotations()
    one_extract.fetch([PREVIOUS])
    pages = fetch_short_selling([PREVIOUS, DAY], one_extract)
    assert fetched.count(page_url) == 1
    assert '<a name = "quotations">' not in pages[0]  # the short selling part is kept, not the whole page
    pd.testing.assert_frame_equal(daily_quotations.short_selling_rows(pages[0]),
                                  daily_quotations.short_selling_rows(earlier_quotations[page_url]))
    fetch_short_selling([PREVIOUS, DAY], one_extract)  # used once: a later fetch downloads the page again
    assert fetched.count(page_url) == 2
    fetch_short_selling([PREVIOUS, DAY])  # another extract keeps pages of its own: nothing is shared between them
    assert fetched.count(page_url) == 3


def test_an_earlier_session_has_no_gem_short_selling_and_says_so(earlier_quotations, caplog):
    fetch_short_selling([PREVIOUS, DAY])
    assert ("short selling of 2024-11-13 is the Main Board's only, from its Daily Quotations: HKEX serves GEM's "
            "day-close report for the latest session (2024-11-14) alone") in caplog.text


def test_an_earlier_session_whose_short_selling_disagrees_with_its_total_line_is_bad_data(earlier_quotations):
    url = DAILY_QUOTATIONS_URL.format(day=PREVIOUS)
    row = "      1 CKH HOLDINGS                           402,000"
    assert row in earlier_quotations[url]
    earlier_quotations[url] = earlier_quotations[url].replace(row, row.replace("402,000", "402,001"))
    with pytest.raises(SourceDataError, match="rows add up to 47,354,001 short shares but its 'Total Shares"):
        short_selling.parse_many(fetch_short_selling([PREVIOUS, DAY]))


def test_a_session_after_the_reports_day_is_not_published_yet(short_selling_reports):
    with pytest.raises(NotPublished, match="still for 2024-11-14: 2024-11-15's is not out yet"):
        fetch_short_selling([dt.date(2024, 11, 15)])


def test_the_not_available_yet_page_is_not_published_yet(published):
    published[MAIN] = published[GEM] = fixture("hkex_short_selling/not_available.htm")
    with pytest.raises(NotPublished, match="not available yet"):
        fetch_short_selling([DAY])


def test_a_board_whose_report_lags_is_not_published_yet(short_selling_reports):
    short_selling_reports[GEM] = short_selling_reports[GEM].replace("14 NOV 2024", "13 NOV 2024")
    with pytest.raises(NotPublished, match="one is not updated yet"):
        fetch_short_selling([DAY])


def test_an_earlier_session_without_daily_quotations_is_not_published(short_selling_reports):
    with pytest.raises(NotPublished, match="d241113e.htm: HTTP 404"):
        fetch_short_selling([PREVIOUS, DAY])


def test_an_earlier_days_daily_quotations_served_for_a_session_are_not_published_yet(published):
    published[DAILY_QUOTATIONS_URL.format(day=DAY)] = fixture("hkex_daily_quotations/d241113e.htm")
    with pytest.raises(StalePage, match=r"d241114e.htm is still the page of 2024-11-13: 2024-11-14's is not "
                                        "published yet"):
        DailyQuotations().fetch([DAY])


def test_a_later_days_daily_quotations_served_for_a_session_are_bad_data_naming_both_days(published):
    published[DAILY_QUOTATIONS_URL.format(day=PREVIOUS)] = fixture("hkex_daily_quotations/d241113e.htm").replace(
        "DATE: 13 NOV 2024", "DATE: 14 NOV 2024")
    with pytest.raises(SourceDataError, match=r"d241113e.htm is for 2024-11-14, not 2024-11-13"):
        DailyQuotations().fetch([PREVIOUS])


def test_the_holiday_page_served_for_a_session_is_a_day_without_trading(published):
    typhoon = dt.date(2024, 12, 24)
    published[DAILY_QUOTATIONS_URL.format(day=typhoon)] = fixture("hkex_daily_quotations/d241225e.htm")
    with pytest.raises(NoTradingDay) as holiday:
        DailyQuotations().fetch([typhoon])
    assert holiday.value.day == typhoon
    assert str(holiday.value) == ("daily_quotations 2024-12-24: no trading, HKEX says "
                                  "'Hong Kong Public Holiday, NO TRADING.'")


def test_daily_quotations_not_published_yet_are_left_out_with_a_warning(published, caplog):
    assert DailyQuotations().fetch([DAY]) == []
    assert "turnover for 2024-11-14 is estimated" in caplog.text


def test_a_stock_connect_file_is_fetched_for_its_day(published):
    published[STOCK_CONNECT_URL.format(day=DAY)] = fixture("hkex_stock_connect/data_tab_daily_20241114e.js")
    assert southbound.parse_many(fetch_southbound([DAY]))["channel"].tolist() == ["SSE", "SZSE"]


def test_an_earlier_days_stock_connect_file_served_for_a_session_is_not_published_yet(published):
    published[STOCK_CONNECT_URL.format(day=DAY)] = fixture("hkex_stock_connect/data_tab_daily_20241003e.js")
    with pytest.raises(StalePage, match=r"data_tab_daily_20241114e.js is still the page of 2024-10-03"):
        fetch_southbound([DAY])


def test_the_order_of_the_fetches_changes_no_result(earlier_quotations):
    short_first = fetch_short_selling([PREVIOUS, DAY], DailyQuotations())
    turnover_first = DailyQuotations()
    turnover_first.fetch([PREVIOUS])
    pd.testing.assert_frame_equal(short_selling.parse_many(fetch_short_selling([PREVIOUS, DAY], turnover_first)),
                                  short_selling.parse_many(short_first))


def test_a_truncated_stock_connect_file_raises_as_bad_data(published):
    whole = fixture("hkex_stock_connect/data_tab_daily_20241114e.js")
    published[STOCK_CONNECT_URL.format(day=DAY)] = whole[: len(whole) // 2]
    with pytest.raises(ValueError, match="not a complete HKEX Stock Connect 'tabData"):
        fetch_southbound([DAY])


def test_an_html_page_for_a_southbound_trading_day_is_not_published_yet(published):
    published[STOCK_CONNECT_URL.format(day=DAY)] = fixture("hkex_stock_connect/error_page.html")
    with pytest.raises(NotPublished, match="an HTML page instead of the file"):
        fetch_southbound([DAY])


def test_a_day_southbound_is_closed_gives_no_rows_with_or_without_a_file(published):
    golden_week = [dt.date(2024, 10, 2), dt.date(2024, 10, 3)]  # Hong Kong trades, the mainland does not
    published[STOCK_CONNECT_URL.format(day=golden_week[1])] = fixture(
        "hkex_stock_connect/data_tab_daily_20241003e.js")
    files = fetch_southbound(golden_week)
    assert len(files) == 1
    assert southbound.parse_many(files).empty
