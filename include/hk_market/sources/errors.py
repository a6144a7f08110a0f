"""How a source fails: worth retrying later (unreachable, not published yet) or not (bad data).

The extract tasks retry the first kind with backoff and fail the second at once: bad data is a
ValueError, and retrying does not fix it.
"""

OFFLINE_HINT = "HK_MARKET_SOURCE=sample runs offline on the embedded market"


class SourceUnavailable(RuntimeError):
    """An upstream could not be reached, or kept failing: a later try may succeed."""


class NotPublished(SourceUnavailable):
    """An upstream has nothing for the day yet (HTTP 404, a "not available yet" page, yesterday's page)."""


class SourceDataError(ValueError):
    """What an upstream sent is wrong (wrong day, truncated, too few securities): retrying will not help."""
