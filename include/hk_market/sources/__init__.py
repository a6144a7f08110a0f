"""Sources: one module per dataset (LANDING_SCHEMA and parse), and each source's fetch."""

import datetime as dt

import pandas as pd

from hk_market import reference, settings
from hk_market.sources import prices, short_selling, southbound


def extract(dataset: str, sessions: list[dt.date], source: str | None = None,
            full_market: bool = False) -> pd.DataFrame:
    """Fetch the sessions from the source and parse them into the dataset's landing frame."""
    source = settings.source_name(source)
    from hk_market.sources import sample

    if dataset == "prices":
        index_codes = dict(zip(reference.indices()["yahoo_ticker"], reference.indices()["index_code"], strict=True))
        return prices.parse(sample.fetch_prices(sessions, full_market), sessions, index_codes)
    if dataset == "short_selling":
        return short_selling.parse_many(sample.fetch_short_selling(sessions, full_market))
    if dataset == "southbound":
        return southbound.parse_many(sample.fetch_southbound(sessions))
    raise ValueError(f"unknown dataset {dataset!r}")
