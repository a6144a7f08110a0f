"""How HKEX prints dates and figures, shared by the parsers of its pages and the sample's renderings of them."""

import datetime as dt

from hk_market import calendar
from hk_market.sources.errors import SourceDataError

MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
WEEKDAYS = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")
NUMBER_PATTERN = r"\d{1,3}(?:,\d{3})*"
# The short selling day-close report's summary blocks (each with its total shares and HK$ value lines).
ALL_DESIGNATED = "(C) Short Selling of all Designated Securities"
NON_DESIGNATED = "*Total No. of non-Designated Securities recording Short Selling"


def integer(text: str) -> int:
    """A whole number as HKEX prints it, with thousands commas."""
    return int(text.replace(",", ""))


def calendar_date(year: str | int, month: str | int, day: str | int, printed: str, where: str) -> dt.date:
    """The date a report prints, checked to be a real day within the XHKG calendar's range; SourceDataError naming
    where it is printed otherwise ("no such date 31 NOV 2024")."""
    try:
        date = dt.date(int(year), int(month), int(day))
    except ValueError:
        raise SourceDataError(f"{where} is dated {printed!r}: no such date") from None
    try:
        calendar.check_in_range(date)
    except ValueError as error:
        raise SourceDataError(f"{where} is dated {printed!r}: {error}") from None
    return date


def typical_turnover(volume, high, low, close):
    """Turnover in HKD estimated as volume times the typical price (H + L + C) / 3: what prices land where HKEX
    printed none, and what the sample's Daily Quotations print."""
    return volume * ((high + low + close) / 3)
