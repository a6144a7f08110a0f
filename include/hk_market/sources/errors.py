"""How a source fails: worth retrying later (not published yet, a server hiccup) or not (no network, bad data).

The extract tasks retry SourceUnavailable with backoff, skip a NoTradingDay, and fail HostUnreachable and bad data (a
ValueError) at once: retrying minutes later does not bring a network back or fix a file.
"""

import datetime as dt


class SourceUnavailable(RuntimeError):
    """An upstream could not be reached, or kept failing: a later try may succeed."""


class NotPublished(SourceUnavailable):
    """An upstream has nothing for the day yet (HTTP 404, a "not available yet" page, yesterday's page)."""


class HostUnreachable(SourceUnavailable):
    """No connection to an upstream's host could be opened at all (DNS failure, connection refused, no route).

    The network is down or blocked, so the message names the host and how to run offline. A timeout
    or an HTTP error is not this: the host answered, or may, and a retry may pass.
    """

    def __init__(self, host: str, reason: str) -> None:
        super().__init__(host, reason)
        self.host = host
        self.reason = reason

    def __str__(self) -> str:
        return (f"could not reach {self.host}: {self.reason}. Is the network down? To run offline on the "
                "embedded market, set HK_MARKET_SOURCE=sample (in Airflow: airflow variables set hk_market_source "
                "sample)")


class SourceDataError(ValueError):
    """What an upstream sent is wrong (wrong day, truncated, too few securities): retrying will not help."""


class NoTradingDay(Exception):
    """An upstream says the market did not trade that day (HKEX's "Hong Kong Public Holiday, NO TRADING." page,
    served for a typhoon or an unscheduled closure too): the day has nothing to load and is skipped, not failed
    and not retried."""

    def __init__(self, dataset: str, day: dt.date | None, notice: str) -> None:
        super().__init__(dataset, day, notice)
        self.dataset, self.day, self.notice = dataset, day, notice

    def __str__(self) -> str:
        return f"{self.dataset} {self.day or 'of an unknown day'}: no trading, HKEX says {self.notice!r}"


class StalePage(NotPublished):
    """An upstream served its page of an earlier day for the day asked: that day's is not published yet."""
