"""Live daily bars through yfinance: batched calls, failed tickers named, coverage, rate limits, no network.

yf.download runs for real, on Yahoo's responses in tests/fixtures/yahoo, through its documented `session=`
parameter (tests/datasets/recorded_yahoo.py); a refused connection is a real one, through yfinance's proxy setting.
"""

import datetime as dt
import threading

import pandas as pd
import pytest
from yfinance.exceptions import YFRateLimitError

from hk_market import calendar
from hk_market.datasets.prices import yahoo
from hk_market.datasets.prices.parse import hong_kong_sessions
from hk_market.sources import yahoo as yahoo_api
from hk_market.sources.errors import HostUnreachable, NotPublished, SourceUnavailable
from tests.datasets.recorded_yahoo import RecordedYahoo, closes

INDICES = ["^HSI", "^HSCE", "HSTECH.HK"]
OFFLINE = "set HK_MARKET_SOURCE=sample (in Airflow: airflow variables set hk_market_source sample)"
DAYS = iter(calendar.sessions(dt.date(2024, 11, 14), dt.date(2025, 6, 30)))


@pytest.fixture
def day() -> dt.date:
    """A session of the test's own: yfinance memoises the answers for a past period, per ticker, per process."""
    return next(DAYS)


@pytest.fixture
def recorded(day, monkeypatch):
    """Yahoo with bars for the day and its look-back session; our backoff waits on it (and lifts a rate limit)."""
    upstream = RecordedYahoo([calendar.previous_session(day), day])
    monkeypatch.setattr(yahoo_api, "sleep", upstream.wait)
    yield upstream
    assert upstream.unexpected == []


def securities(count: int) -> list[str]:
    return [f"{code:04d}.HK" for code in range(1, count + 1)]


def no_data(day: dt.date) -> str:
    """What yfinance reports for a ticker without bars in the window of day and its look-back."""
    window = f"{calendar.previous_session(day)} -> {day + dt.timedelta(days=1)}"
    return f"YFPricesMissingError('possibly delisted; no price data found  (1d {window})')"


def hong_kong_midnight(day: dt.date) -> int:
    return int(pd.Timestamp(day, tz="Asia/Hong_Kong").timestamp())


def test_tickers_are_downloaded_in_batches_with_explicit_options(recorded, day, capsys):
    tickers = securities(450) + INDICES
    frame = yahoo.daily_bars([day], securities(450), INDICES, session=recorded)
    requested = [ticker for ticker, _ in recorded.charts]  # one yf.download call at a time, its tickers in threads
    assert [set(requested[:200]), set(requested[200:400]), set(requested[400:])] == [
        set(tickers[:200]), set(tickers[200:400]), set(tickers[400:])]
    assert len(requested) == 453 and threading.get_ident() not in recorded.threads
    params = {key: value for key, value in recorded.charts[0][1].items() if key != "crumb"}
    assert params == {"period1": hong_kong_midnight(calendar.previous_session(day)),
                      "period2": hong_kong_midnight(day + dt.timedelta(days=1)),
                      "interval": "1d", "includePrePost": False, "events": "div,splits,capitalGains"}
    assert frame.columns.names == ["Price", "Ticker"]  # group_by="column"
    assert set(frame.columns.get_level_values("Price")) == {  # auto_adjust=False keeps Adj Close; actions=True
        "Adj Close", "Close", "Dividends", "High", "Low", "Open", "Stock Splits", "Volume"}
    assert frame["Close"].shape == (2, 453) and frame["Close"].notna().all().all()
    assert capsys.readouterr().out == ""  # progress=False


def test_coverage_below_the_threshold_fails_the_day_listing_the_failed_tickers(recorded, day, monkeypatch):
    monkeypatch.setenv("HK_MARKET_MIN_PRICE_COVERAGE", "0.95")
    recorded.no_bars = {"0003.HK", "0007.HK"}
    with pytest.raises(ValueError) as failure:
        yahoo.daily_bars([day], securities(20), INDICES, session=recorded)
    message = str(failure.value)
    assert f"2 of 20 securities have no close for {day}, coverage 90.0% is below" in message
    assert f"0003.HK ({no_data(day)}), 0007.HK ({no_data(day)})" in message
    assert len(recorded.charts) == 23 and recorded.waits == []  # bad data is not retried


def test_coverage_above_the_threshold_passes_and_logs_the_failed_tickers(recorded, day, monkeypatch, caplog):
    monkeypatch.setenv("HK_MARKET_MIN_PRICE_COVERAGE", "0.9")
    recorded.no_bars = {"0003.HK"}
    frame = yahoo.daily_bars([day], securities(20), INDICES, session=recorded)
    assert frame["Close"]["0003.HK"].isna().all()
    assert f"1 of 20 securities have no close for {day} (coverage 95.0%): 0003.HK" in caplog.text


def test_a_long_list_of_failures_is_cut_short(recorded, day):
    recorded.no_bars = set(securities(30))
    with pytest.raises(ValueError, match=r"0020.HK \(YFPricesMissingError\('possibly delisted; .*\) and 10 more$"):
        yahoo.daily_bars([day], securities(40), INDICES, session=recorded)


def test_an_index_without_a_close_fails_the_day_whatever_the_coverage(recorded, day):
    recorded.no_bars = {"^HSI"}
    missing = r"\(YFPricesMissingError\(.possibly delisted"
    with pytest.raises(ValueError, match=rf"no index close for {day}: \^HSI {missing}"):
        yahoo.daily_bars([day], securities(5), INDICES, session=recorded)


def test_hang_seng_tech_falls_back_to_its_other_yahoo_ticker(recorded, day, caplog):
    recorded.no_bars = {"HSTECH.HK"}
    frame = yahoo.daily_bars([day], securities(5), INDICES, session=recorded)
    assert recorded.charts[-1][0] == "^HSTECH"
    assert frame["Close"]["HSTECH.HK"].tolist() == closes()  # ^HSTECH's recorded closes
    assert "^HSTECH" not in frame.columns.get_level_values("Ticker")
    assert f"HSTECH.HK has no close for {day}; using ^HSTECH instead" in caplog.text


def test_a_rate_limit_is_retried_with_backoff(recorded, day, caplog):
    recorded.rate_limited = 2  # HTTP 429 until our backoff has waited twice
    frame = yahoo.daily_bars([day], securities(5), INDICES, session=recorded)
    assert recorded.waits == [30.0, 60.0]
    assert "retry 1 of 3 in 30 s" in caplog.text and "retry 2 of 3 in 60 s" in caplog.text
    assert "retry 3 of 3" not in caplog.text  # the third yf.download call passed
    assert frame["Close"].notna().all().all()


def test_a_rate_limit_that_persists_raises_after_the_retries(recorded, day):
    recorded.rate_limited = 99
    with pytest.raises(YFRateLimitError):
        yahoo.daily_bars([day], securities(5), INDICES, session=recorded)
    assert recorded.waits == [30.0, 60.0, 120.0]


def test_no_network_is_one_message_naming_yahoos_host(recorded, day):
    recorded.unreachable = "no_dns"
    with pytest.raises(HostUnreachable) as failure:
        yahoo.daily_bars([day], securities(5), INDICES, session=recorded)
    message = str(failure.value)
    assert message.startswith("could not reach query2.finance.yahoo.com: DNSError(")
    assert message.endswith(OFFLINE)
    assert recorded.waits == []


def test_every_ticker_timing_out_is_transient_not_unreachable(recorded, day):
    recorded.unreachable = "timed_out"
    with pytest.raises(SourceUnavailable, match=r"Yahoo Finance \(query2.finance.yahoo.com\) timed out") as failure:
        yahoo.daily_bars([day], securities(5), INDICES, session=recorded)
    assert not isinstance(failure.value, HostUnreachable)


def test_a_session_yahoo_has_no_bars_for_yet_is_not_published_so_it_is_retried_later(recorded, day):
    recorded.days = [calendar.previous_session(day)]  # only the look-back session
    with pytest.raises(NotPublished, match=f"Yahoo Finance has no daily bars for {day} yet"):
        yahoo.daily_bars([day], securities(5), INDICES, session=recorded)


def test_a_chunk_where_some_tickers_timed_out_and_others_found_no_host_is_retried_not_failed(recorded, day):
    tickers = securities(5) + INDICES
    recorded.fails = {ticker: "timed_out" if position % 2 else "no_dns" for position, ticker in enumerate(tickers)}
    with pytest.raises(SourceUnavailable, match="timed out") as failure:
        yahoo.daily_bars([day], securities(5), INDICES, session=recorded)
    assert not isinstance(failure.value, HostUnreachable)


def test_a_timezone_aware_index_is_read_on_its_hong_kong_days():
    utc = pd.DatetimeIndex(["2024-11-12 16:00", "2024-11-13 16:00"], tz="UTC")  # 00:00 in Hong Kong
    assert list(hong_kong_sessions(utc).date) == [dt.date(2024, 11, 13), dt.date(2024, 11, 14)]



def test_a_refused_connection_is_unreachable_even_for_tickers_yfinance_knows(recorded, day, yahoo_refused, monkeypatch):
    yahoo.daily_bars([day], securities(3), INDICES, session=recorded)  # yfinance caches their timezones
    later = next(DAYS)
    monkeypatch.setattr(yahoo_api, "sleep", lambda seconds: pytest.fail("an unreachable host is not retried"))
    with pytest.raises(HostUnreachable) as failure:
        yahoo.daily_bars([later], securities(3), INDICES)
    assert str(failure.value).startswith("could not reach query2.finance.yahoo.com: ConnectionError(")
    assert "Failed to connect to query2.finance.yahoo.com:443 over proxy 127.0.0.1" in str(failure.value)
