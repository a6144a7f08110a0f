"""The live fetch: HKEX's short selling day-close reports for the latest session, its Daily Quotations before it.

HKEX serves only the latest session's day-close report, so an earlier session's comes from the SHORT SELLING
TURNOVER section of that session's Daily Quotations (d{YYMMDD}e.htm), which the parser reads and checks against its
own total line. That page is the Main Board's, so GEM's short selling for those sessions is left out, with a warning
naming the sessions: GEM's own Daily Quotations (e_G{YYMMDD}.htm) are served from a directory no source checked here
gives, and a guessed address is not fetched. GEM securities are in none of the three indices.
"""

import logging

from hk_market.datasets.request import Request
from hk_market.datasets.short_selling.parse import report_date
from hk_market.hkex.pages import HKEX
from hk_market.sources import http
from hk_market.sources.errors import NotPublished

log = logging.getLogger(__name__)

# HKEX keeps only the latest session's day-close report at these addresses, one page per board.
SHORT_SELLING_URLS = (f"{HKEX}/eng/stat/smstat/ssturnover/ncms/ashtmain.htm",
                      f"{HKEX}/eng/stat/smstat/ssturnover/ncms/ashtgem.htm")


def fetch(request: Request) -> list[str]:
    """Each session's short selling pages: the day-close reports (Main Board, GEM) for the latest session,
    the Main Board's Daily Quotations before it.

    A session after the report pages' date is not published yet; an earlier one is read from its
    Daily Quotations (see the module's docstring).
    """
    sessions = request.sessions
    latest = [http.get_text(url) for url in SHORT_SELLING_URLS]
    published = {report_date(page) for page in latest}
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
                    "day-close report for the latest session (%s) alone",
                    ", ".join(day.isoformat() for day in earlier), published_day)
    pages = []
    for day in sessions:
        pages.extend(latest if day == published_day else [request.daily_quotations.short_selling_page(day)])
    return pages
