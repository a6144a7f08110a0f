"""Daily bars from a yfinance-shaped frame: turnover as HKEX published it where it did, estimated elsewhere."""

import datetime as dt

import pandas as pd
import pytest

from hk_market.sources.daily_quotations import TURNOVER_SCHEMA
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


def test_published_turnover_of_another_day_is_not_used(bars):
    frame = parse(bars, DAYS[1:], INDEX_CODES, published([(DAYS[0], "00700", 1.0)]))
    assert frame.set_index("stock_code").loc["00700", "turnover_hkd"] == pytest.approx(
        typical_turnover(1_000_000, 420.0 * 1.01, 420.0 * 0.98, 420.0))


def test_without_published_turnover_every_security_gets_the_estimate(bars):
    with_none = parse(bars, DAYS[1:], INDEX_CODES)
    with_empty = parse(bars, DAYS[1:], INDEX_CODES, published([]))
    pd.testing.assert_frame_equal(with_none, with_empty)
    assert with_none["turnover_hkd"].notna().sum() == 2
    assert with_none["turnover_estimated"].sum() == 2
