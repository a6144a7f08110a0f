"""The embedded sample market: deterministic, on the real calendar, shaped like real bars."""

import datetime as dt

import numpy as np

from hk_market import calendar
from hk_market.sample import market


def bars(first: dt.date, last: dt.date, full_market: bool = False):
    return market.daily_bars(calendar.sessions(first, last), full_market).frame


def test_a_day_has_the_same_bars_whatever_range_it_is_drawn_in():
    day = np.datetime64("2024-06-14")
    short = bars(dt.date(2024, 6, 14), dt.date(2024, 6, 14))
    long = bars(dt.date(2024, 5, 1), dt.date(2024, 7, 31))
    pick = ["stock_code", "open", "high", "low", "close", "volume"]
    left = short[short["trade_date"] == day][pick].sort_values("stock_code").reset_index(drop=True)
    right = long[long["trade_date"] == day][pick].sort_values("stock_code").reset_index(drop=True)
    assert left.equals(right)


def test_any_range_on_the_calendar_has_bars_for_every_session_and_security():
    frame = bars(dt.date(2012, 3, 1), dt.date(2012, 3, 31))
    sessions = calendar.sessions(dt.date(2012, 3, 1), dt.date(2012, 3, 31))
    codes = len(market.universe()) + 3
    assert len(frame) == (len(sessions) + 1) * codes  # one session of look-back


def test_bars_are_positive_ordered_and_on_hkex_price_steps():
    frame = bars(dt.date(2015, 1, 2), dt.date(2015, 12, 31))
    stocks = frame[frame["stock_code"].str.isdigit()]
    assert (stocks["low"] > 0).all()
    assert (stocks["low"] <= stocks[["open", "close"]].min(axis=1)).all()
    assert (stocks["high"] >= stocks[["open", "close"]].max(axis=1)).all()
    steps = market.tick_size(stocks["close"].to_numpy())
    assert np.allclose(np.round(stocks["close"] / steps) * steps, stocks["close"])


def test_the_full_market_universe_has_about_2600_securities_with_unique_codes():
    universe = market.universe(full_market=True)
    assert len(universe) == market.FULL_MARKET_SIZE
    assert universe["stock_code"].is_unique
