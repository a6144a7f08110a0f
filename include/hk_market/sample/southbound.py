"""Sample southbound Stock Connect flows per channel, drawn per calendar year.

Each year's flows are drawn whole, so any range gives the same numbers for a day. In 2024 they are
shifted so that 2024-11-14 has the wrap's net buy and the year to date its cumulative net buy.
Amounts are whole units of HK$10,000, the precision HKEX publishes (HK$ million, two decimals).
"""

import datetime as dt
from functools import cache

import numpy as np

from hk_market import calendar
from hk_market.sample.market import (
    ANCHOR_DAY,
    ANCHOR_SOUTHBOUND_NET,
    ANCHOR_SOUTHBOUND_YTD_NET,
    SEED,
    SOUTHBOUND_KEY,
)

UNIT_HKD = 10_000


def southbound(sessions: list[dt.date]) -> dict[dt.date, dict[str, tuple[float, float]] | None]:
    """For each session: {'SSE': (buy_hkd, sell_hkd), 'SZSE': (...)}, or None when southbound is closed."""
    flows = {}
    for year in sorted({day.year for day in sessions}):
        flows.update(_year(year))
    return {day: flows.get(day) for day in sessions}


@cache
def _year(year: int) -> dict[dt.date, dict[str, tuple[float, float]]]:
    cal = calendar.hk_calendar()
    first = max(dt.date(year, 1, 1), cal.first_session.date())
    last = min(dt.date(year, 12, 31), cal.last_session.date())
    days = calendar.southbound_sessions(first, last)
    rng = np.random.default_rng([SEED, SOUTHBOUND_KEY, year])
    net = np.round(rng.normal(250_000, 400_000, len(days))).astype(np.int64)
    buy = np.round(rng.normal(4_000_000, 700_000, len(days))).astype(np.int64) + np.maximum(net, 0)
    if ANCHOR_DAY in days:
        net = _pinned_to_anchor(days, net)
        buy = np.maximum(buy, net + 1_000_000)
    sse_share = rng.uniform(0.5, 0.62, len(days))
    flows = {}
    for i, day in enumerate(days):
        sse_net, sse_buy = round(net[i] * sse_share[i]), round(buy[i] * sse_share[i])
        szse_net, szse_buy = net[i] - sse_net, buy[i] - sse_buy
        channels = {"SSE": (sse_buy, sse_buy - sse_net), "SZSE": (szse_buy, szse_buy - szse_net)}
        flows[day] = {name: (b * float(UNIT_HKD), s * float(UNIT_HKD)) for name, (b, s) in channels.items()}
    return flows


def _pinned_to_anchor(days: list[dt.date], net: np.ndarray) -> np.ndarray:
    """Net buys shifted so the anchor day and the year to date match the wrap."""
    anchor = days.index(ANCHOR_DAY)
    net = net.copy()
    net[anchor] = ANCHOR_SOUTHBOUND_NET
    shortfall = ANCHOR_SOUTHBOUND_YTD_NET - net[: anchor + 1].sum()
    step, remainder = divmod(int(shortfall), anchor)
    net[:anchor] += step
    net[:remainder] += 1
    return net
