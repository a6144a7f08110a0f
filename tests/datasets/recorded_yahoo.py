"""Yahoo Finance for yf.download's documented `session=` parameter: a curl_cffi Session answering from
tests/fixtures/yahoo (Yahoo's v8 chart API, getcrumb, a 429), so yfinance 1.7 runs its own code on them.

A chart request for a period is answered with the recorded bars re-dated onto the days of `days` that fall in
it (09:30 in Hong Kong, as Yahoo stamps a daily bar), the symbol being the requested one; a ticker in `no_bars`
gets the recorded answer without bars; one in `fails` raises the recorded curl error (no_dns, timed_out), and
every request does when `unreachable` names one. While `rate_limited` is above 0, Yahoo's API hosts answer 429.
"""

import datetime as dt
import json
import threading
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from curl_cffi.requests import Response, Session
from curl_cffi.requests.exceptions import code2error

RECORDED = Path(__file__).resolve().parents[1] / "fixtures" / "yahoo"
BARS = json.loads((RECORDED / "chart_0700.HK_1d_2024-11-13_2024-11-14.json").read_text())
PROBE = (RECORDED / "chart_0700.HK_range_1d.json").read_text()
NO_BARS = (RECORDED / "chart_0700.HK_1d_no_bars.json").read_text()
TOO_MANY_REQUESTS = (RECORDED / "too_many_requests.txt").read_text()
CRUMB = (RECORDED / "getcrumb.txt").read_text()
CURL_ERRORS = json.loads((RECORDED / "curl_errors.json").read_text())
HONG_KONG = ZoneInfo("Asia/Hong_Kong")


class RecordedYahoo(Session):
    """Yahoo Finance as the recorded responses have it, for the days given."""

    def __init__(self, days: list[dt.date]) -> None:
        super().__init__()
        self.days = days
        self.no_bars: set[str] = set()
        self.fails: dict[str, str] = {}
        self.unreachable: str | None = None
        self.rate_limited = 0
        self.charts: list[tuple[str, dict]] = []  # (ticker, params) of each chart request for a period, in order
        self.threads: set[int] = set()
        self.unexpected: list[str] = []
        self.waits: list[float] = []
        self._lock = threading.Lock()

    def request(self, method, url, params=None, **kwargs) -> Response:
        host, path = urlsplit(url).hostname, urlsplit(url).path
        ticker = path.rsplit("/", 1)[-1] if path.startswith("/v8/finance/chart/") else None
        with self._lock:
            self.threads.add(threading.get_ident())
            if ticker and params and "period1" in params:
                self.charts.append((ticker, dict(params)))
        failure = self.unreachable or self.fails.get(ticker)
        if failure:
            code, message = CURL_ERRORS[failure]
            raise code2error(code, message)(message, code)
        if self.rate_limited and host.startswith("query"):
            return _answer(url, 429, TOO_MANY_REQUESTS)
        if path == "/v1/test/getcrumb":
            return _answer(url, 200, CRUMB)
        if ticker and params and "period1" in params:
            return _answer(url, 200, NO_BARS if ticker in self.no_bars else self._bars(ticker, params))
        if ticker:
            return _answer(url, 200, PROBE.replace('"0700.HK"', json.dumps(ticker)))
        if host not in ("fc.yahoo.com", "guce.yahoo.com"):  # the cookie yfinance asks for first: none here
            self.unexpected.append(f"{method} {url}")
        return _answer(url, 404, "<html><body>Not Found</body></html>")

    def _bars(self, ticker: str, params: dict) -> str:
        start, end = (dt.datetime.fromtimestamp(params[key], HONG_KONG).date() for key in ("period1", "period2"))
        days = [day for day in self.days if start <= day < end]
        recorded = BARS["chart"]["result"][0]
        quote, adjclose = recorded["indicators"]["quote"][0], recorded["indicators"]["adjclose"][0]["adjclose"]
        cycle = [position % len(recorded["timestamp"]) for position in range(len(days))]
        result = {**recorded, "meta": {**recorded["meta"], "symbol": ticker},
                  "timestamp": [int(dt.datetime.combine(day, dt.time(9, 30), HONG_KONG).timestamp()) for day in days],
                  "indicators": {"quote": [{field: [values[i] for i in cycle] for field, values in quote.items()}],
                                 "adjclose": [{"adjclose": [adjclose[i] for i in cycle]}]}}
        return json.dumps({"chart": {"result": [result], "error": None}})

    def wait(self, seconds: float) -> None:
        """Our backoff's sleep, recorded: the rate limit lifts after each wait."""
        self.waits.append(seconds)
        self.rate_limited = max(self.rate_limited - 1, 0)


def closes() -> list[float]:
    """The recorded closes, in the order the double serves them."""
    return BARS["chart"]["result"][0]["indicators"]["quote"][0]["close"]


def _answer(url: str, status: int, body: str) -> Response:
    response = Response()
    response.url, response.status_code, response.content = url, status, body.encode()
    response.ok, response.reason = status < 400, {200: "OK", 404: "Not Found", 429: "Too Many Requests"}[status]
    return response
