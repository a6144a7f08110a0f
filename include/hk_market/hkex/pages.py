"""HKEX's published pages, downloaded for sessions and checked to be of those sessions.

HKEX publishes the short selling day-close report and the Stock Connect daily statistics after the
close (16:10 Hong Kong time) and the Daily Quotations in the evening; a run before then gets
NotPublished and retries, as it does when HKEX serves an earlier day's page at the day's address
(StalePage). A Daily Quotations page saying "NO TRADING" (a holiday, a typhoon) raises NoTradingDay.
"""

import datetime as dt
import logging
from collections.abc import Callable

from hk_market.hkex import daily_quotations
from hk_market.sources import http
from hk_market.sources.errors import NotPublished, NoTradingDay, SourceDataError, StalePage

log = logging.getLogger(__name__)

HKEX = "https://www.hkex.com.hk"
DAILY_QUOTATIONS_URL = HKEX + "/eng/stat/smstat/dayquot/d{day:%y%m%d}e.htm"
LIST_OF_SECURITIES_URL = f"{HKEX}/eng/services/trading/securities/securitieslists/ListOfSecurities.xlsx"


class DailyQuotations:
    """The Daily Quotations pages of one extract: prices read their turnover, and short selling of a session
    before the latest reads its SHORT SELLING TURNOVER section.

    A backfill chunk extracts prices first, so the short selling parts of the pages fetch() downloaded are kept
    here and short_selling_page() needs no second download; it downloads what it does not find, so the order of
    the two changes no result. One instance per extract: nothing is kept between them.
    """

    def __init__(self) -> None:
        self._short_selling_parts: dict[dt.date, str] = {}

    def fetch(self, sessions: list[dt.date]) -> list[str]:
        """Each session's page; a page HKEX does not serve yet (HTTP 404) is left out, with a warning, so that
        day's turnover is estimated. Raises StalePage for an earlier day's page served for a session, and
        NoTradingDay for HKEX's holiday page."""
        pages = []
        for day in sessions:
            try:
                pages.append(page(day))
            except StalePage:
                raise
            except NotPublished as missing:
                log.warning("%s: turnover for %s is estimated from volume and prices", missing, day)
                continue
            if part := daily_quotations.short_selling_page(pages[-1]):
                self._short_selling_parts[day] = part
        return pages

    def short_selling_page(self, day: dt.date) -> str:
        """The session's page, or its short selling part if fetch() downloaded it."""
        return self._short_selling_parts.pop(day, None) or page(day)


def page(day: dt.date) -> str:
    """The session's Daily Quotations page (Main Board)."""
    url = DAILY_QUOTATIONS_URL.format(day=day)
    try:
        return checked(http.get_text(url), day, daily_quotations.report_date, url)
    except NoTradingDay as holiday:
        raise NoTradingDay("daily_quotations", day, holiday.notice) from None


def list_of_securities() -> bytes:
    """HKEX's List of Securities workbook (ListOfSecurities.xlsx)."""
    return http.get(LIST_OF_SECURITIES_URL).content


def checked(raw: str, day: dt.date, read_date: Callable[[str], dt.date], url: str) -> str:
    """raw, if it is for day; StalePage if it is an earlier day's (day's own is not out yet), SourceDataError naming
    both days if it is a later day's."""
    published = read_date(raw)
    if published < day:
        raise StalePage(f"{url} is still the page of {published}: {day}'s is not published yet")
    if published != day:
        raise SourceDataError(f"{url} is for {published}, not {day}")
    return raw

