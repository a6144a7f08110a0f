"""The sample fetch: the embedded market's southbound flows as HKEX's Stock Connect daily statistics files."""

from hk_market.datasets.request import Request
from hk_market.sample import hkex_formats
from hk_market.sample.southbound import southbound


def fetch(request: Request) -> list[str]:
    """One HKEX Stock Connect daily statistics file (`tabData = [...]`) per session."""
    return [hkex_formats.render_stock_connect_js(day, flows) for day, flows in southbound(request.sessions).items()]
