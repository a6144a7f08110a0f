"""The live fetch: HKEX's Stock Connect daily statistics file of each session."""

import datetime as dt
import logging

from hk_market import calendar
from hk_market.datasets.request import Request
from hk_market.datasets.southbound.parse import file_date
from hk_market.hkex.pages import HKEX, checked
from hk_market.sources import http
from hk_market.sources.errors import NotPublished

log = logging.getLogger(__name__)

STOCK_CONNECT_URL = HKEX + "/eng/csm/DailyStat/data_tab_daily_{day:%Y%m%d}e.js"


def fetch(request: Request) -> list[str]:
    """Each session's Stock Connect daily statistics file; none for a day southbound did not trade."""
    sessions = request.sessions
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


def _stock_connect_file(day: dt.date) -> str:
    url = STOCK_CONNECT_URL.format(day=day)
    text = http.get_text(url)
    if text.lstrip().startswith("<"):
        raise NotPublished(f"{url}: an HTML page instead of the file, so not published yet or no such day")
    return checked(text, day, file_date, url)
