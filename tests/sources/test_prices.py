"""Daily bars from a yfinance-shaped frame: turnover as HKEX published it where it did, estimated elsewhere."""

import datetime as dt

import pandas as pd
import pytest

from hk_market.sources.daily_quotations import TURNOVER_SCHEMA
from hk_market.sources.errors import SourceDataError, StalePage
from hk_market.sources.prices import parse, typical_turnover

DAYS = [dt.date(2024, 11, 13), dt.date(2024, 11, 14)]
INDEX_CODES = {"^HSI": "HSI"}


@pytest.fixture
def bars(yfinance_frame) -> pd.DataFrame:
    return yfinance_frame({"0700.HK": [410.0, 420.0], "0005.HK": [71.9, 70.0], "^HSI": [19_800.0, 19_435.81]}, DAYS)


def published(rows: list[tuple[dt.date, str, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=list(TURNOVER_SCHEMA)).astype(TURNOVER_SCHEMA)


def test_published_turnover_replaces_the_estimate_where_hkex_printed_one(bars):
    frame = parse(bars, DAYS[1:], INDEX_CODES, published([(DAYS[1], "00700", 7_474_521_088.0)]))
    turnover = frame.set_index("stock_code")["turnover_hkd"]
    assert turnover["00700"] == 7_474_521_088.0
    assert turnover["00005"] == pytest.approx(typical_turnover(1_000_000, 70.0 * 1.01, 70.0 * 0.98, 70.0))
    assert pd.isna(turnover["HSI"])
    estimated = frame.set_index("stock_code")["turnover_estimated"]
    assert estimated.to_dict() == {"00700": False, "00005": True, "HSI": False}


def test_published_turnover_of_another_day_means_the_sessions_page_is_not_published_yet(bars):
    with pytest.raises(StalePage, match="prices 2024-11-14: HKEX's Daily Quotations not published yet: the page "
                                        "served is of 2024-11-13"):
        parse(bars, DAYS[1:], INDEX_CODES, published([(DAYS[0], "00700", 1.0)]))


def test_published_turnover_printed_twice_for_a_stock_is_a_clear_error(bars):
    twice = published([(DAYS[1], "00700", 1.0), (DAYS[1], "00700", 2.0)])
    with pytest.raises(SourceDataError, match="prices: HKEX's Daily Quotations of 2024-11-14 print 00700's turnover "
                                              "twice"):
        parse(bars, DAYS[1:], INDEX_CODES, twice)


def test_without_published_turnover_every_security_gets_the_estimate(bars):
    with_none = parse(bars, DAYS[1:], INDEX_CODES)
    with_empty = parse(bars, DAYS[1:], INDEX_CODES, published([]))
    pd.testing.assert_frame_equal(with_none, with_empty)
    assert with_none["turnover_hkd"].notna().sum() == 2
    assert with_none["turnover_estimated"].sum() == 2


def test_a_timezone_aware_index_is_read_as_the_hong_kong_session(bars):
    aware = bars.set_axis(pd.DatetimeIndex(bars.index).tz_localize("Asia/Hong_Kong").tz_convert("UTC"))
    pd.testing.assert_frame_equal(parse(aware, DAYS[1:], INDEX_CODES), parse(bars, DAYS[1:], INDEX_CODES))


def test_a_volume_out_of_range_is_a_clear_error_not_a_wrapped_integer(bars):
    bars.loc[pd.Timestamp(DAYS[1]), ("Volume", "0700.HK")] = 1e30
    with pytest.raises(SourceDataError, match=r"prices: 0700.HK on 2024-11-14 has a volume out of range \(at or "
                                              r"above 1e\+15 shares\): volume 1e\+30"):
        parse(bars, DAYS[1:], INDEX_CODES)


def test_a_nan_volume_on_a_row_with_prices_is_a_prices_error(bars):
    bars.loc[pd.Timestamp(DAYS[1]), ("Volume", "0005.HK")] = float("nan")
    with pytest.raises(SourceDataError, match="prices: 0005.HK on 2024-11-14 has a close but no volume: volume nan"):
        parse(bars, DAYS[1:], INDEX_CODES)


def test_a_nan_volume_where_there_is_no_close_is_no_row(bars):
    bars.loc[pd.Timestamp(DAYS[1]), [("Volume", "0005.HK"), ("Close", "0005.HK")]] = float("nan")
    assert "00005" not in set(parse(bars, DAYS[1:], INDEX_CODES)["stock_code"])


def test_a_ticker_printed_twice_is_a_clear_error(bars):
    twice = pd.concat([bars, bars.xs("0700.HK", axis=1, level="Ticker", drop_level=False)], axis=1)
    with pytest.raises(SourceDataError, match=r"prices: the frame has the column \('Adj Close', '0700.HK'\) twice"):
        parse(twice, DAYS[1:], INDEX_CODES)


def test_rows_without_dates_are_a_clear_error(bars):
    with pytest.raises(SourceDataError, match="prices: the frame's rows are not dated"):
        parse(bars.set_axis(["yesterday", "today"]), DAYS[1:], INDEX_CODES)
