"""The macro dataset's live fetch when the network is absent: yfinance's documented proxy setting points it at a
local port that refuses every connection, so no test ever reaches Yahoo."""

import datetime as dt
import socket

import pytest
import yfinance as yf

from hk_market.datasets.macro import live
from hk_market.datasets.request import Request
from hk_market.sources.errors import HostUnreachable


@pytest.fixture
def no_network():
    """yfinance's connections go to a local port that is bound but not listening: each is refused at once."""
    with socket.socket() as refusing:
        refusing.bind(("127.0.0.1", 0))
        saved = yf.config.network.proxy
        yf.config.network.proxy = f"http://127.0.0.1:{refusing.getsockname()[1]}"
        try:
            yield
        finally:
            yf.config.network.proxy = saved


def test_no_network_fails_at_once_naming_yahoos_host_and_how_to_run_offline(no_network):
    with pytest.raises(HostUnreachable) as failed:
        live.fetch(Request([dt.date(2024, 11, 14)]))
    assert failed.value.host == "query2.finance.yahoo.com"
    assert str(failed.value).startswith("could not reach query2.finance.yahoo.com: ")
    assert "HK_MARKET_SOURCE=sample" in str(failed.value)
