"""The macro dataset's live fetch when the network is absent: yfinance's documented proxy setting points it at a
local port that refuses every connection, so no test ever reaches Yahoo."""

import datetime as dt

import pytest

from hk_market.datasets.macro import live
from hk_market.datasets.request import Request
from hk_market.sources.errors import HostUnreachable


def test_no_network_fails_at_once_naming_yahoos_host_and_how_to_run_offline(yahoo_refused):
    with pytest.raises(HostUnreachable) as failed:
        live.fetch(Request([dt.date(2024, 11, 14)]))
    assert failed.value.host == "query2.finance.yahoo.com"
    assert str(failed.value).startswith("could not reach query2.finance.yahoo.com: ")
    assert "HK_MARKET_SOURCE=sample" in str(failed.value)
