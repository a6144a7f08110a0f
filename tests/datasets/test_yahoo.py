"""Live daily bars through yfinance: batched calls, failed tickers named, coverage, rate limits, no network.

yf.download is replaced by a stand-in that behaves as yfinance 1.7 does: it returns the (Price, Ticker)
frame with NaN columns for failed tickers and logs `['T1', 'T2']: reason` to the `yfinance` logger.
"""

import datetime as dt
import logging

import pandas as pd
import pytest
from yfinance.exceptions import YFRateLimitError

from hk_market.datasets.prices import yahoo
from hk_market.sources import yahoo as yahoo_api
from hk_market.sources.errors import HostUnreachable, NotPublished, SourceUnavailable

DAY = dt.date(2024, 11, 14)
WINDOW = [dt.date(2024, 11, 13), DAY]  # the session and its look-back
INDICES = ["^HSI", "^HSCE", "HSTECH.HK"]
RATE_LIMITED = "YFRateLimitError('Too Many Requests. Rate limited. Try after a while.')"
NO_DATA = "possibly delisted; no price data found  (1d 2024-11-13 -> 2024-11-15)"
NO_DNS = ("DNSError('Failed to perform, curl: (6) Could not resolve host: query2.finance.yahoo.com. "
          "See https://curl.se/libcurl/c/libcurl-errors.html first for more details.')")
TIMED_OUT = ("Timeout('Failed to perform, curl: (28) Connection timed out after 10002 milliseconds. "
             "See https://curl.se/libcurl/c/libcurl-errors.html first for more details.')")


class FakeDownload:
    """yf.download's stand-in: failures maps a ticker to the reason it fails with; a rate-limited call
    fails one ticker with YFRateLimitError while rate_limited_calls lasts; days are the rows it has."""

    def __init__(self, build) -> None:
        self.build = build
        self.failures: dict[str, str] = {}
        self.rate_limited_calls = 0
        self.days = WINDOW
        self.utc = False  # dates as timezone-aware UTC timestamps (midnight in Hong Kong is 16:00 UTC the day before)
        self.calls: list[tuple[list[str], dict]] = []

    def __call__(self, tickers, **options):
        self.calls.append((list(tickers), options))
        failed = {ticker: reason for ticker, reason in self.failures.items() if ticker in tickers}
        if self.rate_limited_calls:
            self.rate_limited_calls -= 1
            failed[tickers[0]] = RATE_LIMITED
        by_reason: dict[str, list[str]] = {}
        for ticker, reason in failed.items():
            by_reason.setdefault(reason, []).append(ticker)
        logger = logging.getLogger("yfinance")
        if failed:
            logger.error("\n%.f Failed download%s:", len(failed), "s" if len(failed) > 1 else "")
        for reason, symbols in by_reason.items():
            logger.error(f"{symbols}: " + reason)
        closes = {ticker: [None] * len(self.days) if ticker in failed else [100.0, 101.0][: len(self.days)]
                  for ticker in tickers}
        frame = self.build(closes, self.days)
        return frame.tz_localize("Asia/Hong_Kong").tz_convert("UTC") if self.utc else frame


@pytest.fixture
def download(monkeypatch, yfinance_frame) -> FakeDownload:
    fake = FakeDownload(yfinance_frame)
    monkeypatch.setattr(yahoo_api.yf, "download", fake)
    return fake


@pytest.fixture
def waits(monkeypatch) -> list[float]:
    slept: list[float] = []
    monkeypatch.setattr(yahoo_api.time, "sleep", slept.append)
    return slept


def securities(count: int) -> list[str]:
    return [f"{code:04d}.HK" for code in range(1, count + 1)]


def test_tickers_are_downloaded_in_batches_with_explicit_options(download):
    frame = yahoo.daily_bars([DAY], securities(450), INDICES)
    assert [len(tickers) for tickers, _ in download.calls] == [200, 200, 53]
    assert download.calls[0][1] == {"start": "2024-11-13", "end": "2024-11-15", "auto_adjust": False,
                                    "actions": True, "group_by": "column", "threads": True, "progress": False}
    assert frame["Close"].shape == (2, 453)


def test_coverage_below_the_threshold_fails_the_day_listing_the_failed_tickers(download, waits, monkeypatch):
    monkeypatch.setenv("HK_MARKET_MIN_PRICE_COVERAGE", "0.95")
    download.failures = {"0003.HK": NO_DATA, "0007.HK": NO_DATA}
    with pytest.raises(ValueError) as failure:
        yahoo.daily_bars([DAY], securities(20), INDICES)
    message = str(failure.value)
    assert "2 of 20 securities have no close for 2024-11-14, coverage 90.0% is below" in message
    assert f"0003.HK ({NO_DATA}), 0007.HK ({NO_DATA})" in message
    assert len(download.calls) == 1 and waits == []  # bad data is not retried


def test_coverage_above_the_threshold_passes_and_logs_the_failed_tickers(download, monkeypatch, caplog):
    monkeypatch.setenv("HK_MARKET_MIN_PRICE_COVERAGE", "0.9")
    download.failures = {"0003.HK": NO_DATA}
    frame = yahoo.daily_bars([DAY], securities(20), INDICES)
    assert frame["Close"]["0003.HK"].isna().all()
    assert "1 of 20 securities have no close for 2024-11-14 (coverage 95.0%): 0003.HK" in caplog.text


def test_a_long_list_of_failures_is_cut_short(download, monkeypatch):
    download.failures = {ticker: NO_DATA for ticker in securities(30)}
    with pytest.raises(ValueError, match=r"0020.HK \(possibly delisted; .*\) and 10 more$"):
        yahoo.daily_bars([DAY], securities(40), INDICES)


def test_an_index_without_a_close_fails_the_day_whatever_the_coverage(download):
    download.failures = {"^HSI": NO_DATA}
    with pytest.raises(ValueError, match=r"no index close for 2024-11-14: \^HSI \(possibly delisted"):
        yahoo.daily_bars([DAY], securities(5), INDICES)


def test_hang_seng_tech_falls_back_to_its_other_yahoo_ticker(download, caplog):
    download.failures = {"HSTECH.HK": NO_DATA}
    frame = yahoo.daily_bars([DAY], securities(5), INDICES)
    assert download.calls[-1][0] == ["^HSTECH"]
    assert frame["Close"]["HSTECH.HK"].tolist() == [100.0, 101.0]
    assert "^HSTECH" not in frame.columns.get_level_values("Ticker")
    assert "HSTECH.HK has no close for 2024-11-14; using ^HSTECH instead" in caplog.text


def test_a_rate_limit_is_retried_with_backoff(download, waits):
    download.rate_limited_calls = 2
    frame = yahoo.daily_bars([DAY], securities(5), INDICES)
    assert waits == [30.0, 60.0]
    assert len(download.calls) == 3
    assert frame["Close"].notna().all().all()


def test_a_rate_limit_raised_by_yfinance_itself_is_retried(download, waits, monkeypatch):
    answers = iter([YFRateLimitError()])

    def raises_once(tickers, **options):
        for error in answers:
            raise error
        return download(tickers, **options)

    monkeypatch.setattr(yahoo_api.yf, "download", raises_once)
    yahoo.daily_bars([DAY], securities(5), INDICES)
    assert waits == [30.0]


def test_a_rate_limit_that_persists_raises_after_the_retries(download, waits):
    download.rate_limited_calls = 99
    with pytest.raises(YFRateLimitError):
        yahoo.daily_bars([DAY], securities(5), INDICES)
    assert waits == [30.0, 60.0, 120.0]


def test_no_network_is_one_message_naming_yahoos_host(download, waits):
    download.failures = {ticker: NO_DNS for ticker in securities(5) + INDICES}
    with pytest.raises(HostUnreachable) as failure:
        yahoo.daily_bars([DAY], securities(5), INDICES)
    message = str(failure.value)
    assert message.startswith("could not reach query2.finance.yahoo.com: DNSError(")
    assert message.endswith("set HK_MARKET_SOURCE=sample (in Airflow: airflow variables set hk_market_source sample)")
    assert waits == []


def test_every_ticker_timing_out_is_transient_not_unreachable(download, waits):
    download.failures = {ticker: TIMED_OUT for ticker in securities(5) + INDICES}
    with pytest.raises(SourceUnavailable, match=r"Yahoo Finance \(query2.finance.yahoo.com\) timed out") as failure:
        yahoo.daily_bars([DAY], securities(5), INDICES)
    assert not isinstance(failure.value, HostUnreachable)


def test_a_session_yahoo_has_no_bars_for_yet_is_not_published_so_it_is_retried_later(download):
    download.days = WINDOW[:1]  # only the look-back session
    with pytest.raises(NotPublished, match="Yahoo Finance has no daily bars for 2024-11-14 yet"):
        yahoo.daily_bars([DAY], securities(5), INDICES)


def test_a_chunk_where_some_tickers_timed_out_and_others_found_no_host_is_retried_not_failed(download, waits):
    tickers = securities(5) + INDICES  # the first failure is a DNS one, as it was when that alone decided
    download.failures = {ticker: TIMED_OUT if position % 2 else NO_DNS for position, ticker in enumerate(tickers)}
    with pytest.raises(SourceUnavailable, match="timed out") as failure:
        yahoo.daily_bars([DAY], securities(5), INDICES)
    assert not isinstance(failure.value, HostUnreachable)


def test_a_timezone_aware_frame_is_read_on_its_hong_kong_days_not_reported_missing(download):
    download.utc = True
    frame = yahoo.daily_bars([DAY], securities(3), INDICES)
    assert frame.index[-1] == pd.Timestamp("2024-11-13 16:00", tz="UTC")
    assert frame["Close"].notna().all().all()
