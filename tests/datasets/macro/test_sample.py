"""The macro sample: invented, deterministic, offline, in yf.download's layout, on each driver's own calendar."""

import datetime as dt

import pandas as pd
import pytest

from hk_market import calendar
from hk_market.datasets.macro import parse, sample
from hk_market.datasets.request import Request

NOVEMBER_2024 = calendar.sessions(dt.date(2024, 11, 1), dt.date(2024, 11, 29))


def landed(sessions: list[dt.date]) -> pd.DataFrame:
    return parse.landing(sample.fetch(Request(sessions))).set_index(["trade_date", "instrument"])


def test_bitcoin_closes_at_the_reference_wraps_91051_on_2024_11_14():
    assert landed([dt.date(2024, 11, 14)]).loc[(pd.Timestamp("2024-11-14"), "BTC-USD"), "close"] == 91_051.0


@pytest.mark.parametrize(("instrument", "low", "high"), [
    ("BTC-USD", 86_000, 94_000), ("DX-Y.NYB", 105, 108), ("GC=F", 2_540, 2_640), ("CNH=X", 7.19, 7.27),
])
def test_levels_are_plausible_for_november_2024(instrument, low, high):
    closes = landed(NOVEMBER_2024).xs(instrument, level="instrument")["close"]
    assert len(closes) == len(NOVEMBER_2024)
    assert low <= closes.min() and closes.max() <= high


def test_a_days_close_does_not_depend_on_the_window_asked_for():
    alone = landed([dt.date(2024, 11, 14)])
    assert alone.equals(landed(NOVEMBER_2024).loc[alone.index])


def test_each_driver_trades_on_its_own_calendar():
    # Thanksgiving, 2024-11-28, and a weekend in the window
    closes = sample.yahoo_frame([dt.date(2024, 11, 29)])["Close"]
    traded = {ticker: set(closes[ticker].dropna().index.date) for ticker in closes.columns}
    assert dt.date(2024, 11, 28) in traded["BTC-USD"] and dt.date(2024, 11, 24) in traded["BTC-USD"]
    assert dt.date(2024, 11, 28) not in traded["DX-Y.NYB"] | traded["GC=F"]
    assert dt.date(2024, 11, 28) in traded["CNH=X"] and dt.date(2024, 11, 24) not in traded["CNH=X"]


def test_any_session_of_the_calendar_has_all_four_drivers():
    first, last = calendar.hk_calendar().first_session.date(), dt.date(2026, 11, 30)
    for day in (first, dt.date(2016, 2, 29), last):
        assert sorted(landed([day]).index.get_level_values("instrument")) == ["BTC-USD", "CNH=X", "DX-Y.NYB", "GC=F"]
