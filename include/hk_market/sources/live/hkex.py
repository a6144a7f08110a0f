"""HKEX's published files, fetched for the sessions and checked to be for those sessions.

HKEX publishes the short selling day-close report and the Stock Connect daily statistics after the
close (16:10 Hong Kong time) and the Daily Quotations in the evening; a run before then gets
NotPublished and retries.
"""

import datetime as dt
import logging
from collections.abc import Callable

from hk_market import calendar
from hk_market.sources import daily_quotations, short_selling, southbound
from hk_market.sources.errors import NotPublished, SourceDataError
from hk_market.sources.live import http

log = logging.getLogger(__name__)

HKEX = "https://www.hkex.com.hk"
# HKEX keeps only the latest session's day-close report at these addresses, one page per board.
SHORT_SELLING_URLS = (f"{HKEX}/eng/stat/smstat/ssturnover/ncms/ashtmain.htm",
                      f"{HKEX}/eng/stat/smstat/ssturnover/ncms/ashtgem.htm")
DAILY_QUOTATIONS_URL = HKEX + "/eng/stat/smstat/dayquot/d{day:%y%m%d}e.htm"
STOCK_CONNECT_URL = HKEX + "/eng/csm/DailyStat/data_tab_daily_{day:%Y%m%d}e.js"
LIST_OF_SECURITIES_URL = f"{HKEX}/eng/services/trading/securities/securitieslists/ListOfSecurities.xlsx"


def fetch_short_selling(sessions: list[dt.date]) -> list[str]:
    """The day-close report pages (Main Board, GEM) for each session.

    HKEX's report pages hold the latest session only. An earlier session's report is read from
    that session's Daily Quotations, which prints the same report (Main Board). A session after
    the pages' date is not published yet.
    """
    latest = [http.get_text(url) for url in SHORT_SELLING_URLS]
    published = {short_selling.report_date(page) for page in latest}
    if len(published) > 1:
        raise NotPublished(f"HKEX's Main Board and GEM short selling reports are for {sorted(published)}: "
                           "one is not updated yet")
    (published_day,) = published
    pages = []
    for day in sessions:
        if day > published_day:
            raise NotPublished(f"HKEX's short selling report is still for {published_day}: {day}'s is not out yet")
        pages.extend(latest if day == published_day else [_earlier_short_selling(day)])
    return pages


def fetch_daily_quotations(sessions: list[dt.date]) -> list[str]:
    """Each session's Daily Quotations page; a page not published yet is left out (with a warning)."""
    pages = []
    for day in sessions:
        try:
            pages.append(_daily_quotations_page(day))
        except NotPublished as missing:
            log.warning("%s: turnover for %s is estimated from volume and prices", missing, day)
    return pages


def fetch_southbound(sessions: list[dt.date]) -> list[str]:
    """Each session's Stock Connect daily statistics file; none for a day southbound did not trade."""
    open_days = set(calendar.southbound_sessions(min(sessions), max(sessions)))
    files = []
    for day in sessions:
        try:
            files.append(_stock_connect_file(day))
        except NotPublished:
            if day in open_days:
                raise
            log.info("no Stock Connect file for %s: southbound did not trade", day)
    return files


def fetch_list_of_securities() -> bytes:
    """HKEX's List of Securities workbook (ListOfSecurities.xlsx)."""
    return http.get(LIST_OF_SECURITIES_URL).content


def _earlier_short_selling(day: dt.date) -> str:
    page = _daily_quotations_page(day)
    try:
        return _checked(page, day, short_selling.report_date, DAILY_QUOTATIONS_URL.format(day=day))
    except ValueError as error:
        raise SourceDataError(
            f"HKEX publishes only the latest session's short selling report, and {day}'s Daily Quotations "
            f"has none in the report's layout: {error}"
        ) from None


def _daily_quotations_page(day: dt.date) -> str:
    url = DAILY_QUOTATIONS_URL.format(day=day)
    return _checked(http.get_text(url), day, daily_quotations.report_date, url)


def _stock_connect_file(day: dt.date) -> str:
    url = STOCK_CONNECT_URL.format(day=day)
    text = http.get_text(url)
    if text.lstrip().startswith("<"):
        raise NotPublished(f"{url}: an HTML page instead of the file, so not published yet or no such day")
    return _checked(text, day, southbound.file_date, url)


def _checked(raw: str, day: dt.date, read_date: Callable[[str], dt.date], url: str) -> str:
    """raw, if it is for day; SourceDataError naming both days otherwise."""
    published = read_date(raw)
    if published != day:
        raise SourceDataError(f"{url} is for {published}, not {day}")
    return raw
