"""Daily bars from a yfinance-shaped frame: turnover as HKEX published it where it did, estimated elsewhere."""

import datetime as dt

import pandas as pd
import pytest

from hk_market.datasets.prices.parse import parse
from hk_market.hkex.daily_quotations import TURNOVER_SCHEMA
from hk_market.hkex.figures import typical_turnover
from hk_market.sources.errors import SourceDataError, StalePage

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


def test_a_split_yahoo_declares_lands_as_its_ratio_and_no_split_as_1(yfinance_frame):
    # yf.download(actions=True) on Tencent's ex-date of a 2-for-1 split: the look-back's close re-scaled (410 / 2)
    closes = {"0700.HK": [205.0, 210.0], "0005.HK": [71.9, 70.0], "^HSI": [19_800.0, 19_435.81]}
    frame = parse(yfinance_frame(closes, DAYS, splits={"0700.HK": [0.0, 2.0]}), DAYS[1:], INDEX_CODES)
    assert frame.set_index("stock_code")["split_ratio"].to_dict() == {"00700": 2.0, "00005": 1.0, "HSI": 1.0}
    assert frame.set_index("stock_code").loc["00700", "prev_close"] == 205.0  # as Yahoo sent it: adjusted


@pytest.mark.parametrize("ratio", [0.1, 1.1], ids=["10-to-1 consolidation", "1-for-10 bonus issue"])
def test_a_consolidation_or_a_bonus_issue_lands_as_yahoos_ratio(yfinance_frame, ratio):
    bars = yfinance_frame({"0700.HK": [410.0, 420.0], "^HSI": [19_800.0, 19_435.81]}, DAYS,
                          splits={"0700.HK": [0.0, ratio]})
    assert parse(bars, DAYS, INDEX_CODES).set_index(["stock_code", "trade_date"])["split_ratio"].to_dict() == {
        ("00700", pd.Timestamp(DAYS[0])): 1.0, ("00700", pd.Timestamp(DAYS[1])): ratio,
        ("HSI", pd.Timestamp(DAYS[0])): 1.0, ("HSI", pd.Timestamp(DAYS[1])): 1.0}


def test_a_payload_without_stock_splits_lands_no_split(bars):
    """A frame recorded before actions were requested has no Stock Splits field."""
    assert "Stock Splits" not in bars.columns.get_level_values(0)
    frame = parse(bars, DAYS[1:], INDEX_CODES)
    assert frame["split_ratio"].dtype == "float64"
    assert (frame["split_ratio"] == 1.0).all()


@pytest.mark.parametrize("ratio", [float("inf"), -2.0, float("nan")])
def test_a_stock_splits_value_that_is_no_ratio_is_a_prices_error_naming_day_and_ticker(yfinance_frame, ratio):
    bars = yfinance_frame({"0700.HK": [410.0, 420.0], "0005.HK": [71.9, 70.0]}, DAYS,
                          splits={"0005.HK": [0.0, ratio]})
    with pytest.raises(SourceDataError, match=r"prices: 0005.HK on 2024-11-14 has a Stock Splits ratio that is not "
                                              r"a number at or above 0: (inf|-2|nan)$"):
        parse(bars, DAYS[1:], INDEX_CODES)


def test_a_stock_splits_value_on_a_row_without_a_close_is_no_row_and_no_error(yfinance_frame):
    bars = yfinance_frame({"0700.HK": [410.0, None], "0005.HK": [71.9, 70.0]}, DAYS,
                          splits={"0700.HK": [0.0, float("nan")]})
    assert set(parse(bars, DAYS[1:], INDEX_CODES)["stock_code"]) == {"00005"}


def test_stock_splits_that_are_not_numbers_are_a_prices_error(yfinance_frame):
    bars = yfinance_frame({"0700.HK": [410.0, 420.0]}, DAYS, splits={"0700.HK": [0.0, 0.0]})
    bars[("Stock Splits", "0700.HK")] = ["0", "2:1"]
    with pytest.raises(SourceDataError, match="prices: the frame's Stock Splits values are not all numbers"):
        parse(bars, DAYS[1:], INDEX_CODES)
