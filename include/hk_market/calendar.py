"""HKEX trading sessions (exchange-calendars XHKG) and Stock Connect southbound days."""

import datetime as dt
import re
from functools import cache

import pandas as pd

CALENDAR_START = "2007-01-01"


@cache
def _calendar(code: str):
    import exchange_calendars as xc

    return xc.get_calendar(code, start=CALENDAR_START)


def hk_calendar():
    """The XHKG calendar from CALENDAR_START."""
    return _calendar("XHKG")


def parse_day(value: str | dt.date) -> dt.date:
    """A date from 'YYYY-MM-DD' (or a date), with an error that names the bad value."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        raise ValueError(f"{value!r} is not a date in YYYY-MM-DD form")
    try:
        return dt.date.fromisoformat(text)
    except ValueError:  # the form is right, the day is not: 2024-11-31, 2024-13-01
        raise ValueError(f"{value!r} is not a date: there is no such day in the calendar") from None


def check_in_range(day: dt.date) -> None:
    """Raise if the day is outside the calendar's range, naming the range."""
    cal = hk_calendar()
    first, last = cal.first_session.date(), cal.last_session.date()
    if not first <= day <= last:
        raise ValueError(f"{day} is outside the XHKG calendar's range {first} to {last}")


def is_session(day: dt.date) -> bool:
    """Whether HKEX trades on this day."""
    check_in_range(day)
    return bool(hk_calendar().is_session(pd.Timestamp(day)))


def sessions(start: dt.date, end: dt.date) -> list[dt.date]:
    """HKEX sessions from start to end inclusive."""
    check_in_range(start)
    check_in_range(end)
    return [ts.date() for ts in hk_calendar().sessions_in_range(pd.Timestamp(start), pd.Timestamp(end))]


def previous_session(day: dt.date) -> dt.date:
    """The HKEX session before this session."""
    check_in_range(day)
    return hk_calendar().previous_session(pd.Timestamp(day)).date()


def southbound_sessions(start: dt.date, end: dt.date) -> list[dt.date]:
    """Days southbound Stock Connect trades: both Hong Kong (XHKG) and Shanghai (XSHG) are open.

    HKEX also closes southbound around mainland holidays for settlement; the both-open rule is the
    approximation used here and matches most days.
    """
    shanghai = _calendar("XSHG")
    start, end = max(start, shanghai.first_session.date()), min(end, shanghai.last_session.date())
    hk = hk_calendar().sessions_in_range(pd.Timestamp(start), pd.Timestamp(end))
    sh = shanghai.sessions_in_range(pd.Timestamp(start), pd.Timestamp(end))
    return [ts.date() for ts in hk.intersection(sh)]


def describe_days(sessions: list[dt.date]) -> str:
    """'2024-11-14', or '2024-11-11 to 2024-11-15 (5 sessions)' for several."""
    if not sessions:
        return "(no sessions)"
    if len(sessions) == 1:
        return sessions[0].isoformat()
    return f"{min(sessions).isoformat()} to {max(sessions).isoformat()} ({len(sessions)} sessions)"
