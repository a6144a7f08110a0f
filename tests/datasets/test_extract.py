"""fetch.landing_frame: both sources go through the same parsers; the sample's raw shapes are the live ones."""

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from hk_market import calendar, fetch, settings
from hk_market.datasets.prices import live, sample
from hk_market.datasets.prices import parse as prices
from hk_market.datasets.prices.schema import LANDING_SCHEMA as PRICES_SCHEMA
from hk_market.datasets.request import Request
from hk_market.datasets.short_selling import parse as short_selling
from hk_market.datasets.short_selling import sample as short_selling_sample
from hk_market.datasets.short_selling.live import SHORT_SELLING_URLS
from hk_market.datasets.short_selling.schema import LANDING_SCHEMA as SHORT_SELLING_SCHEMA
from hk_market.datasets.southbound import live as southbound_live
from hk_market.datasets.southbound import parse as southbound
from hk_market.datasets.southbound import sample as southbound_sample
from hk_market.datasets.southbound.schema import LANDING_SCHEMA as SOUTHBOUND_SCHEMA
from hk_market.hkex import daily_quotations
from hk_market.hkex.pages import DAILY_QUOTATIONS_URL
from hk_market.sample import market
from hk_market.sources import http

FIXTURES = Path(__file__).parents[1] / "fixtures"
WRAP_DAY = dt.date(2024, 11, 14)
SESSIONS = [dt.date(2024, 11, 13), WRAP_DAY]
INDEX_CODES = {"^HSI": "HSI", "^HSCE": "HSCEI", "HSTECH.HK": "HSTECH"}


def test_the_sample_prices_frame_is_what_the_live_prices_parser_reads():
    raw = sample.yahoo_frame(SESSIONS)
    assert raw.columns.names == ["Price", "Ticker"] and raw.index.name == "Date"
    assert len(raw.index) == len(SESSIONS) + 1  # one session of look-back
    frame = prices.parse(raw, SESSIONS, INDEX_CODES)
    assert frame.dtypes.astype(str).to_dict() == PRICES_SCHEMA
    assert {"HSI", "HSCEI", "HSTECH", "00700"} <= set(frame["stock_code"])
    assert set(frame["trade_date"].dt.date) == set(SESSIONS)


def test_the_sample_short_selling_pages_are_what_the_live_short_selling_parser_reads():
    pages = short_selling_sample.fetch(Request(SESSIONS))
    assert [short_selling.report_date(page) for page in pages] == SESSIONS
    frame = short_selling.parse_many(pages)
    assert frame.dtypes.astype(str).to_dict() == SHORT_SELLING_SCHEMA
    assert set(frame["trade_date"].dt.date) == set(SESSIONS) and len(frame) > 100


def test_the_sample_stock_connect_files_are_what_the_live_southbound_parser_reads():
    days = [dt.date(2024, 10, 2), dt.date(2024, 10, 3), WRAP_DAY]  # mainland closed on 2 and 3 October
    files = southbound_sample.fetch(Request(days))
    assert [southbound.file_date(file) for file in files] == days
    frame = southbound.parse_many(files)
    assert frame.dtypes.astype(str).to_dict() == SOUTHBOUND_SCHEMA
    assert set(frame["trade_date"].dt.date) == {WRAP_DAY} and set(frame["channel"]) == {"SSE", "SZSE"}


def test_the_sample_daily_quotations_are_what_the_live_turnover_parser_reads():
    pages = sample.fetch_daily_quotations(Request(SESSIONS))
    assert [daily_quotations.report_date(page) for page in pages] == SESSIONS
    published = daily_quotations.parse_many(pages)
    assert set(published["stock_code"]) == set(market.universe()["stock_code"])  # every security, each day
    assert len(published) == len(market.universe()) * len(SESSIONS)
    # at the estimate, printed to the whole HK$
    estimate = prices.parse(sample.yahoo_frame(SESSIONS), SESSIONS, INDEX_CODES).dropna(subset="turnover_hkd")
    merged = estimate.merge(published, on=["trade_date", "stock_code"], suffixes=("", "_printed"))
    assert len(merged) == len(published) == len(estimate)
    assert (merged["turnover_hkd_printed"] - merged["turnover_hkd"]).abs().max() <= 0.5


def test_the_sample_daily_quotations_short_selling_is_its_main_board_day_close_report():
    for day, page in zip(SESSIONS, sample.fetch_daily_quotations(Request(SESSIONS)), strict=True):
        from_quotations = short_selling.parse_many([page])
        day_close = short_selling.parse_many(short_selling_sample.fetch(Request([day])))
        assert from_quotations["from_daily_quotations"].all() and len(from_quotations) > 100
        columns = ["trade_date", "stock_code", "short_shares", "short_turnover_hkd"]
        pd.testing.assert_frame_equal(from_quotations[columns], day_close[columns])


def test_the_sample_prices_carry_the_turnover_its_daily_quotations_print():
    frame = fetch.landing_frame("prices", SESSIONS, "sample")
    securities = frame[~frame["stock_code"].isin(INDEX_CODES.values())]
    assert not securities["turnover_estimated"].any()
    assert (securities["turnover_hkd"] % 1 == 0).all()  # whole HK$, as printed
    assert frame.loc[frame["stock_code"] == "HSI", "turnover_hkd"].isna().all()


def test_the_full_market_sample_publishes_no_daily_quotations_so_its_turnover_stays_estimated():
    assert sample.fetch_daily_quotations(Request(SESSIONS, full_market=True)) == []
    frame = fetch.landing_frame("prices", SESSIONS, "sample", full_market=True)
    assert frame.loc[frame["turnover_hkd"].notna(), "turnover_estimated"].all()


def test_the_live_source_is_known_and_chosen_by_the_one_setting(monkeypatch):
    assert settings.SOURCES == ("sample", "live")
    monkeypatch.setenv("HK_MARKET_SOURCE", "LIVE")
    assert settings.source_name() == "live"
    with pytest.raises(ValueError, match="must be one of sample, live"):
        settings.source_name("yahoo")


@pytest.fixture
def live_sessions(monkeypatch, yfinance_frame) -> list[dt.date]:
    """[2024-11-13], with the live fetches answering from fixtures as the upstreams would the day after.

    HKEX's day-close short selling pages are then for 2024-11-14, so 13 November's short selling
    comes from its Daily Quotations.
    """
    day = dt.date(2024, 11, 13)
    previous = calendar.previous_session(day)
    bars = yfinance_frame({"0700.HK": [416.0, 410.0], "^HSI": [19_846.9, 19_823.5], "^HSCE": [7_100.0, 7_130.0],
                           "HSTECH.HK": [4_455.0, 4_455.3]}, [previous, day])
    quotations = (FIXTURES / "hkex_daily_quotations" / "d241113e.htm").read_text()
    pages = {DAILY_QUOTATIONS_URL.format(day=day): quotations,
             SHORT_SELLING_URLS[0]: (FIXTURES / "hkex_short_selling" / "ashtmain_20241114.htm").read_text(),
             SHORT_SELLING_URLS[1]: (FIXTURES / "hkex_short_selling" / "ashtgem_20241114.htm").read_text()}
    monkeypatch.setattr(http, "get_text", pages.__getitem__)
    monkeypatch.setattr(live, "yahoo_frame", lambda sessions: bars)
    monkeypatch.setattr(southbound_live, "fetch", lambda request: [])
    return [day]


def test_live_extract_parses_the_live_fetches_with_hkex_turnover(live_sessions):
    frame = fetch.landing_frame("prices", live_sessions, "live").set_index("stock_code")
    assert frame.loc["00700", "turnover_hkd"] == 7_474_521_088.0
    assert frame.loc["00700", "prev_close"] == 416.0
    short = fetch.landing_frame("short_selling", live_sessions, "live")
    assert short["stock_code"].tolist() == ["00001", "00003", "00005", "00700", "02800", "09988"]
    assert fetch.landing_frame("southbound", live_sessions, "live").empty


def test_an_unknown_dataset_raises():
    with pytest.raises(ValueError, match="unknown dataset 'volumes'"):
        fetch.landing_frame("volumes", SESSIONS, "sample")


def test_the_sample_path_gives_the_same_frame_through_extract():
    pd.testing.assert_frame_equal(
        fetch.landing_frame("prices", SESSIONS, "sample"),
        prices.parse(sample.yahoo_frame(SESSIONS), SESSIONS, INDEX_CODES,
                     daily_quotations.parse_many(sample.fetch_daily_quotations(Request(SESSIONS)))),
    )
