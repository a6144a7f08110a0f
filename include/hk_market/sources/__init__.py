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
from hk_market.datasets.macro import parse as macro
from hk_market.sources import daily_quotations, prices, short_selling, southbound


def extract(dataset: str, sessions: list[dt.date], source: str | None = None,
            full_market: bool = False) -> pd.DataFrame:
    """Fetch the sessions from the source and parse them into the dataset's landing frame.

    full_market: the sample emits its full-market universe (benchmarks); the live universe is
    always universe.securities("live").
    """
    fetch = _fetchers(settings.source_name(source), full_market)
    if dataset == "prices":
        turnover = published_turnover(sessions, source, full_market)
        index_codes = dict(zip(reference.indices()["yahoo_ticker"], reference.indices()["index_code"], strict=True))
        return prices.parse(fetch["prices"](sessions), sessions, index_codes, turnover)
    if dataset == "short_selling":
        return short_selling.parse_many(fetch["short_selling"](sessions))
    if dataset == "southbound":
        return southbound.parse_many(fetch["southbound"](sessions))
    if dataset == "macro":
        return macro.parse(fetch["macro"](sessions), sessions)
    raise ValueError(f"unknown dataset {dataset!r}")


def published_turnover(sessions: list[dt.date], source: str | None = None,
                       full_market: bool = False) -> pd.DataFrame:
    """HKEX's printed per-stock turnover (daily_quotations.TURNOVER_SCHEMA) of the sessions whose Daily
    Quotations are out (none for the sample's full-market universe)."""
    fetch = _fetchers(settings.source_name(source), full_market)["daily_quotations"]
    return daily_quotations.parse_many(fetch(sessions))


def fetch_list_of_securities(source: str | None = None) -> bytes:
    """HKEX's List of Securities workbook from the source (the sample's lists its curated universe)."""
    if settings.source_name(source) == "live":
        from hk_market.sources import live

        return live.fetch_list_of_securities()
    from hk_market.sources import sample

    return sample.fetch_list_of_securities()


def publishes_turnover_late(source: str | None = None) -> bool:
    """Whether the source's turnover can come out after its prices (live: HKEX's Daily Quotations, in the
    evening), so a run may load an estimate to replace later; the sample's pages come with its prices."""
    return settings.source_name(source) == "live"


def _fetchers(source: str, full_market: bool) -> dict[str, Callable[[list[dt.date]], object]]:
    """upstream -> the source's fetch(sessions) for it."""
    if source == "live":
        from hk_market.datasets.macro import live as macro_live
        from hk_market.sources import live

        return {"prices": live.fetch_prices, "daily_quotations": live.fetch_daily_quotations,
                "short_selling": live.fetch_short_selling, "southbound": live.fetch_southbound,
                "macro": macro_live.fetch}
    from hk_market.datasets.macro import sample as macro_sample
    from hk_market.sources import sample

    return {"macro": macro_sample.fetch, "prices": partial(sample.fetch_prices, full_market=full_market),
            "daily_quotations": partial(sample.fetch_daily_quotations, full_market=full_market),
            "short_selling": partial(sample.fetch_short_selling, full_market=full_market),
            "southbound": sample.fetch_southbound}
