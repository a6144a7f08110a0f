"""Sources: one module per dataset (LANDING_SCHEMA and parse), and each source's fetch.

The two sources, chosen by settings.source_name(), differ only in their fetch functions: `sample`
renders the embedded offline market, `live` downloads from Yahoo Finance and HKEX. Both return each
upstream's own shape, and the same parsers here turn it into the dataset's landing frame.
"""

import datetime as dt
from collections.abc import Callable
from functools import partial

import pandas as pd

from hk_market import reference, settings
from hk_market.sources import daily_quotations, prices, short_selling, southbound


def extract(dataset: str, sessions: list[dt.date], source: str | None = None,
            full_market: bool = False) -> pd.DataFrame:
    """Fetch the sessions from the source and parse them into the dataset's landing frame.

    full_market: the sample emits its full-market universe (benchmarks); the live universe is
    always universe.securities().
    """
    fetch = _fetchers(settings.source_name(source), full_market)
    if dataset == "prices":
        turnover = published_turnover(sessions, source)
        index_codes = dict(zip(reference.indices()["yahoo_ticker"], reference.indices()["index_code"], strict=True))
        return prices.parse(fetch["prices"](sessions), sessions, index_codes, turnover)
    if dataset == "short_selling":
        return short_selling.parse_many(fetch["short_selling"](sessions))
    if dataset == "southbound":
        return southbound.parse_many(fetch["southbound"](sessions))
    raise ValueError(f"unknown dataset {dataset!r}")


def published_turnover(sessions: list[dt.date], source: str | None = None) -> pd.DataFrame:
    """HKEX's printed per-stock turnover (daily_quotations.TURNOVER_SCHEMA) of the sessions whose Daily
    Quotations are out; none from a source that publishes no turnover (the sample)."""
    return daily_quotations.parse_many(_fetchers(settings.source_name(source), False)["daily_quotations"](sessions))


def publishes_turnover(source: str | None = None) -> bool:
    """Whether the source publishes per-stock turnover (live: HKEX's Daily Quotations); the sample only estimates it."""
    return settings.source_name(source) == "live"


def _fetchers(source: str, full_market: bool) -> dict[str, Callable[[list[dt.date]], object]]:
    """upstream -> the source's fetch(sessions) for it."""
    if source == "live":
        from hk_market.sources import live

        return {"prices": live.fetch_prices, "daily_quotations": live.fetch_daily_quotations,
                "short_selling": live.fetch_short_selling, "southbound": live.fetch_southbound}
    from hk_market.sources import sample

    return {"prices": partial(sample.fetch_prices, full_market=full_market),
            "daily_quotations": sample.fetch_daily_quotations,
            "short_selling": partial(sample.fetch_short_selling, full_market=full_market),
            "southbound": sample.fetch_southbound}
