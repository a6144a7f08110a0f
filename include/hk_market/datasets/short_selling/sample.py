"""The sample fetch: the embedded market's short selling as HKEX's day-close report pages."""

from hk_market.datasets.request import Request
from hk_market.sample import hkex_formats, market
from hk_market.sample.short_selling import short_selling


def fetch(request: Request) -> list[str]:
    """One HKEX short selling daily report (HTML with fixed-width text) per session."""
    sessions, full_market = request.sessions, request.full_market
    universe = market.universe(full_market)
    rows = short_selling(market.daily_bars(sessions, full_market), sessions, full_market)
    names = dict(zip(universe["stock_code"], universe["name"], strict=True))
    return hkex_formats.render_short_selling_reports(sessions, rows, names)
