"""HTTP GET for the live upstreams: timeouts, exponential backoff, and errors that say what to do.

Timeouts, HTTP 429 and 5xx are retried with exponential backoff (BACKOFF_SECONDS doubling); a host
that cannot be reached at all (DNS failure, connection refused, no route) fails at once with
HostUnreachable, one message naming it; HTTP 404 means the upstream has nothing for that address yet.
"""

import logging
from time import sleep
from urllib.parse import urlsplit

import requests
from urllib3.exceptions import NewConnectionError

from hk_market.sources.errors import HostUnreachable, NotPublished, SourceUnavailable

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = (5, 60)  # connect, read
RETRIES = 4
BACKOFF_SECONDS = 2.0
RETRIED_STATUSES = frozenset({429, 500, 502, 503, 504})
HEADERS = {"User-Agent": "Mozilla/5.0 (compatible; hk-market/1.0)"}


def get_text(url: str) -> str:
    """The body of url decoded as UTF-8 (HKEX's English pages and files are ASCII)."""
    return get(url).content.decode("utf-8", errors="replace")


def get(url: str) -> requests.Response:
    """GET url, retrying timeouts, 429 and 5xx.

    Raises NotPublished for 404, HostUnreachable when no connection opens, SourceUnavailable otherwise.
    """
    host = urlsplit(url).hostname
    for attempt in range(RETRIES + 1):
        try:
            response = requests.get(url, timeout=TIMEOUT_SECONDS, headers=HEADERS)
        except requests.Timeout as error:
            failure = f"timed out ({error.__class__.__name__})"
        except requests.ConnectionError as error:
            if _unreachable(error):
                raise HostUnreachable(host, _reason(error)) from None
            failure = f"connection failed ({_reason(error)})"
        else:
            if response.status_code == 404:
                raise NotPublished(f"{url}: HTTP 404, not published yet or no such day")
            if response.status_code not in RETRIED_STATUSES:
                if response.ok:
                    return response
                raise SourceUnavailable(f"{url}: HTTP {response.status_code} {response.reason}")
            failure = f"HTTP {response.status_code} {response.reason}"
        if attempt < RETRIES:
            delay = BACKOFF_SECONDS * 2**attempt
            log.warning("%s: %s; retry %d of %d in %.0f s", url, failure, attempt + 1, RETRIES, delay)
            sleep(delay)
    raise SourceUnavailable(f"{url}: {failure} on all {RETRIES + 1} tries")


def _unreachable(error: requests.ConnectionError) -> bool:
    """A failure to open any connection (DNS, refused, no route), as opposed to one that broke."""
    reason = getattr(error.args[0], "reason", None) if error.args else None
    return isinstance(reason, NewConnectionError)


def _reason(error: Exception) -> str:
    reason = getattr(error.args[0], "reason", error) if error.args else error
    return str(reason).split(": ", 1)[-1]
