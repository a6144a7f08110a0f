"""What a dataset's fetch is asked for: the same for both sources, each reading what it needs."""

import datetime as dt
from dataclasses import dataclass, field

from hk_market.hkex.pages import DailyQuotations


@dataclass(frozen=True)
class Request:
    """sessions: the sessions to fetch; full_market: the sample emits its full-market universe (benchmarks; live
    always fetches universe.securities("live")); daily_quotations: the live Daily Quotations pages this extract
    shares between its datasets (pass one instance to each dataset of a chunk)."""

    sessions: list[dt.date]
    full_market: bool = False
    daily_quotations: DailyQuotations = field(default_factory=DailyQuotations)
