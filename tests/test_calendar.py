import datetime as dt

import pytest

from hk_market import calendar


def test_christmas_is_not_a_session_and_the_day_after_a_holiday_looks_back_past_it():
    assert not calendar.is_session(dt.date(2024, 12, 25))
    assert calendar.previous_session(dt.date(2024, 10, 2)) == dt.date(2024, 9, 30)  # 1 October: National Day


def test_sessions_follow_the_exchange_calendar():
    assert len(calendar.sessions(dt.date(2024, 11, 1), dt.date(2024, 11, 14))) == 10


def test_southbound_is_shut_when_shanghai_is_on_holiday_though_hong_kong_trades():
    assert calendar.is_session(dt.date(2024, 10, 3))
    assert dt.date(2024, 10, 3) not in calendar.southbound_sessions(dt.date(2024, 9, 30), dt.date(2024, 10, 8))


def test_a_malformed_date_names_the_bad_value():
    with pytest.raises(ValueError, match="'14/11/2024' is not a date in YYYY-MM-DD form"):
        calendar.parse_day("14/11/2024")


@pytest.mark.parametrize("value", ["2024-13-01", "2024-11-31", "2023-02-29"])
def test_a_day_that_does_not_exist_is_named_as_such(value):
    with pytest.raises(ValueError, match=f"'{value}' is not a date: there is no such day in the calendar"):
        calendar.parse_day(value)


def test_a_day_outside_the_calendar_says_so():
    with pytest.raises(ValueError, match="outside the XHKG calendar"):
        calendar.is_session(dt.date(1999, 1, 4))
