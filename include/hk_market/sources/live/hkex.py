"""HKEX's published files, fetched for the sessions and checked to be for those sessions.

HKEX publishes the short selling day-close report and the Stock Connect daily statistics after the
close (16:10 Hong Kong time) and the Daily Quotations in the evening; a run before then gets
NotPublished and retries, as it does when HKEX serves an earlier day's file at the day's address
(StalePage). A Daily Quotations page saying "NO TRADING" (a holiday, a typhoon) raises NoTradingDay.

Short selling of a session before the latest: HKEX serves only the latest session's day-close
report, so an earlier session's comes from the SHORT SELLING TURNOVER section of that session's
Daily Quotations (d{YYMMDD}e.htm), which the short selling parser reads and checks against its own
total line. That page is the Main Board's, so GEM's short selling for those sessions is left out,
with a warning naming the sessions: GEM's own Daily Quotations (e_G{YYMMDD}.htm) are served from a
directory no source checked here gives, and a guessed address is not fetched. GEM securities are in
none of the three indices.
"""

import datetime as dt
import logging
from collections.abc import Callable

from hk_market import calendar
from hk_market.sources import daily_quotations, short_selling, southbound
from hk_market.sources.errors import NotPublished, NoTradingDay, SourceDataError, StalePage
from hk_market.sources.live import http

log = logging.getLogger(__name__)

HKEX = "https://www.hkex.com.hk"
# HKEX keeps only the latest session's day-close report at these addresses, one page per board.
SHORT_SELLING_URLS = (f"{HKEX}/eng/stat/smstat/ssturnover/ncms/ashtmain.htm",
                      f"{HKEX}/eng/stat/smstat/ssturnover/ncms/ashtgem.htm")
DAILY_QUOTATIONS_URL = HKEX + "/eng/stat/smstat/dayquot/d{day:%y%m%d}e.htm"
STOCK_CONNECT_URL = HKEX + "/eng/csm/DailyStat/data_tab_daily_{day:%Y%m%d}e.js"
LIST_OF_SECURITIES_URL = f"{HKEX}/eng/services/trading/securities/securitieslists/ListOfSecurities.xlsx"
# The short selling part of each Daily Quotations page the last fetch_daily_quotations downloaded: a backfill
# chunk extracts prices first, so its earlier sessions' short selling needs no second download of the page. Only
# pages checked to be of their day are kept, and fetch_short_selling downloads what it does not find, so the
# order of the two fetches changes no result.
_short_selling_pages: dict[dt.date, str] = {}


def fetch_short_selling(sessions: list[dt.date]) -> list[str]:
    """Each session's short selling pages: the day-close reports (Main Board, GEM) for the latest session,
    the Main Board's Daily Quotations before it.

    A session after the report pages' date is not published yet; an earlier one is read from its
    Daily Quotations (see the module's docstring).
    """
    latest = [http.get_text(url) for url in SHORT_SELLING_URLS]
    published = {short_selling.report_date(page) for page in latest}
    if len(published) > 1:
        raise NotPublished(f"HKEX's Main Board and GEM short selling reports are for {sorted(published)}: "
                           "one is not updated yet")
    (published_day,) = published
    late = [day for day in sessions if day > published_day]
    if late:
        raise NotPublished(f"HKEX's short selling report is still for {published_day}: {late[0]}'s is not out yet")
    earlier = [day for day in sessions if day < published_day]
    if earlier:
        log.warning("short selling of %s is the Main Board's only, from its Daily Quotations: HKEX serves GEM's "
                    "day-close report for the latest session (%s) alone", _days(earlier), published_day)
    pages = []
    for day in sessions:
        pages.extend(latest if day == published_day else [_short_selling_pages.pop(day, None)
                                                          or _daily_quotations_page(day)])
    return pages


def fetch_daily_quotations(sessions: list[dt.date]) -> list[str]:
    """Each session's Daily Quotations page; a page HKEX does not serve yet (HTTP 404) is left out, with a warning,
    so that day's turnover is estimated. Raises StalePage for an earlier day's page served for a session, and
    NoTradingDay for HKEX's holiday page. Keeps the pages' short selling parts for the next fetch_short_selling
    of the same sessions."""
    pages = []
    _short_selling_pages.clear()
    for day in sessions:
        try:
            pages.append(_daily_quotations_page(day))
        except StalePage:
            raise
        except NotPublished as missing:
            log.warning("%s: turnover for %s is estimated from volume and prices", missing, day)
            continue
        if part := daily_quotations.short_selling_page(pages[-1]):
            _short_selling_pages[day] = part
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


def _daily_quotations_page(day: dt.date) -> str:
    url = DAILY_QUOTATIONS_URL.format(day=day)
    try:
        return _checked(http.get_text(url), day, daily_quotations.report_date, url)
    except NoTradingDay as holiday:
        raise NoTradingDay("daily_quotations", day, holiday.notice) from None


def _stock_connect_file(day: dt.date) -> str:
    url = STOCK_CONNECT_URL.format(day=day)
    text = http.get_text(url)
    if text.lstrip().startswith("<"):
        raise NotPublished(f"{url}: an HTML page instead of the file, so not published yet or no such day")
    return _checked(text, day, southbound.file_date, url)


def _days(sessions: list[dt.date]) -> str:
    return ", ".join(day.isoformat() for day in sessions)


def _checked(raw: str, day: dt.date, read_date: Callable[[str], dt.date], url: str) -> str:
    """raw, if it is for day; StalePage if it is an earlier day's (day's own is not out yet), SourceDataError naming
    both days if it is a later day's."""
    published = read_date(raw)
    if published < day:
        raise StalePage(f"{url} is still the page of {published}: {day}'s is not published yet")
    if published != day:
        raise SourceDataError(f"{url} is for {published}, not {day}")
    return raw
