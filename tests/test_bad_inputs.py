"""A corpus of bad inputs, one per way an upstream goes wrong, in both source shapes (the yfinance frame
and HKEX's files): each fails the day with an error naming the dataset, the day and the cause, and the
warehouse's raw, core and mart tables are exactly as they were. A few inputs are unusual but real (a small
stock up 80 % on news, its turnover to match): those load, their rows flagged and listed in quarantine, and
every earlier day stays exactly as it was.

Each bad input replaces what the sample source fetches (the dataset's upstream, and Daily Quotations for
prices' turnover) for a session already in the warehouse; the dataset then goes through extract and
validate, and load and build only if those let it through.
"""

import datetime as dt
import json
import logging
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from hk_market import data_docs_site, pipeline, reference, rules
from hk_market.datasets.macro import sample as macro_sample
from hk_market.datasets.prices import sample as prices_sample
from hk_market.datasets.request import Request
from hk_market.datasets.short_selling import parse as short_selling
from hk_market.datasets.short_selling import sample as short_selling_sample
from hk_market.datasets.southbound import parse as southbound
from hk_market.datasets.southbound import sample as southbound_sample
from hk_market.expectations import DataQualityError
from hk_market.registry import NAMES
from hk_market.sample.hkex_formats import render_short_selling_reports, render_stock_connect_js
from hk_market.sources.errors import SourceDataError, StalePage

from .test_pipeline import run_window
from .warehouse_contents import assert_same_contents, contents

DAY = dt.date(2024, 11, 14)
LOADED = [dt.date(2024, 11, 13), DAY]
TODAY = pd.Timestamp(DAY)
LOOK_BACK = pd.Timestamp(LOADED[0])  # the yfinance frame's row before the day, which prev_close comes from
PRICES = ("Open", "High", "Low", "Close")
SAMPLE_PAGES = prices_sample.fetch_daily_quotations  # the sample's own, for a page of another day
FIXTURES = Path(__file__).parent / "fixtures"


@dataclass(frozen=True)
class BadInput:
    """What the source sends instead of the day's payload, and the error's cause it must produce (or, for an
    unusual but real input, the expectation its rows are flagged and quarantined under while the day loads)."""

    dataset: str
    payload: Callable  # the day's good payload -> the bad one
    cause: str = ""  # a regular expression the error message must match
    upstream: str = ""  # the sample fetch (a key of UPSTREAMS) whose payload is replaced: the dataset's by default
    more: tuple[tuple[str, Callable], ...] = ()  # other upstreams' (fetch, payload) replaced too
    errors: tuple[type[Exception], ...] = (SourceDataError, DataQualityError)
    quarantined: str = ""  # a flagged input: the expectation its rows are listed under


def fetched(path: Path) -> list[str]:
    """A file as the live source reads a body: UTF-8, undecodable bytes replaced."""
    return [path.read_bytes().decode("utf-8", errors="replace")]


def tencent_scaled(cause: str, **factors: float) -> BadInput:
    """The yfinance frame with Tencent's (0700.HK) fields of the day multiplied (Close=0.0 zeroes its close)."""
    return BadInput("prices", fields_scaled(("0700.HK",), (TODAY,), **factors), cause)


def fields_scaled(tickers: tuple[str, ...] | None, days: tuple[pd.Timestamp, ...], **factors: float) -> Callable:
    """A payload edit: the yfinance frame with the tickers' (None: every ticker's) fields multiplied on the days."""

    def scaled(frame: pd.DataFrame) -> pd.DataFrame:
        frame = frame.copy()
        for field, factor in factors.items():
            columns = [(field, ticker) for ticker in tickers] if tickers else [
                column for column in frame.columns if column[0] == field]
            frame.loc[list(days), columns] *= factor
        return frame

    return scaled


def prices_of(ticker: str, factor: float, days: tuple[pd.Timestamp, ...] = (TODAY,)) -> Callable:
    """A payload edit: the ticker's open, high, low and close multiplied on the days."""
    return fields_scaled((ticker,), days, **dict.fromkeys(PRICES, factor))


def split_on_the_day(ticker: str, ratio: float, declared: bool = True) -> Callable:
    """A payload edit: the ticker on the ex-date of a split as yf.download(actions=True) sends it: its prices of the
    day and of the look-back over the ratio (the new shares trade at the day's prices over it, and Yahoo re-scales
    every earlier close), its volumes times it, and the ratio in Stock Splits on the day if declared."""
    scaled = fields_scaled((ticker,), (LOOK_BACK, TODAY), **dict.fromkeys(("Adj Close", *PRICES), 1 / ratio),
                           Volume=ratio)

    def split(frame: pd.DataFrame) -> pd.DataFrame:
        frame = scaled(frame)
        if declared:
            frame.loc[TODAY, ("Stock Splits", ticker)] = ratio
        return frame

    return split


def prices_swapped(first: str, second: str) -> Callable:
    """A payload edit: two tickers' open, high, low and close of the day swapped (their volumes kept)."""

    def swapped(frame: pd.DataFrame) -> pd.DataFrame:
        frame = frame.copy()
        one, other = [(field, first) for field in PRICES], [(field, second) for field in PRICES]
        frame.loc[TODAY, one], frame.loc[TODAY, other] = frame.loc[TODAY, other].to_numpy(), frame.loc[
            TODAY, one].to_numpy()
        return frame

    return swapped


def ticker_twice(frame: pd.DataFrame) -> pd.DataFrame:
    """The yfinance frame with Tencent's columns again under another spelling of its code (700.HK)."""
    again = frame.xs("0700.HK", axis=1, level="Ticker", drop_level=False).rename(columns={"0700.HK": "700.HK"})
    return pd.concat([frame, again], axis=1)


def quoted_turnover(code: int, edit: Callable[[int], int]) -> Callable:
    """A payload edit of Daily Quotations: the stock's turnover (its record's second line) replaced."""
    record = re.compile(rf"(^ *{code}  [^\r\n]* HKD [^\r\n]*\r\n[^\r\n]*? )([\d,]+)(?=\r\n)", re.MULTILINE)

    def edited(pages: list[str]) -> list[str]:
        page, found = record.subn(lambda match: f"{match[1]}{edit(int(match[2].replace(',', ''))):,}", pages[0], 1)
        assert found, f"no quotation of {code}"
        return [page, *pages[1:]]

    return edited


def quoted_twice(pages: list[str]) -> list[str]:
    """Daily Quotations with Tencent's two-line record printed twice, the second with a larger turnover."""
    record = re.search(r"^ *700  [^\r\n]* HKD [^\r\n]*\r\n[^\r\n]*\r\n", pages[0], re.MULTILINE)[0]
    larger = re.sub(r"[\d,]+(?=\r\n$)", "9,999,999,999", record)
    return [pages[0].replace(record, record + larger, 1)]


def half_the_securities(frame: pd.DataFrame) -> pd.DataFrame:
    """The yfinance frame with every other security's columns dropped, the indices kept."""
    tickers = frame.columns.get_level_values("Ticker")
    securities = sorted(set(tickers) - set(reference.indices()["yahoo_ticker"]))
    return frame.loc[:, ~tickers.isin(securities[::2])]


def short_sales_rerendered(pages: list[str], edit: Callable[[pd.DataFrame], pd.DataFrame]) -> list[str]:
    """The day's short selling report with its rows edited, printed again with total lines that agree."""
    rows = edit(short_selling.parse(pages[0])).assign(board="MAIN")
    names = {code: f"STOCK {code}" for code in rows["stock_code"]}
    return [render_short_selling_reports([DAY], rows.assign(trade_date=pd.Timestamp(DAY)), names)[0]]


def flows_edited(files: list[str], edit: Callable[[list[dict]], None]) -> list[str]:
    """The day's Stock Connect file with its markets (parsed JSON) edited in place."""
    markets = json.loads(files[0].split("=", 1)[1].strip().rstrip(";"))
    edit(markets)
    return [f"tabData = {json.dumps(markets)};"]


def southbound_summary(markets: list[dict], market: str) -> dict:
    """One market's summary table: schema[0] holds the labels, tr one value per label."""
    return next(item for item in markets if item["market"] == market)["content"][0]["table"]


def set_summary_value(markets: list[dict], market: str, label: str, value: str) -> None:
    table = southbound_summary(markets, market)
    table["tr"][table["schema"][0].index(label)]["td"][0][0] = value


def drop_summary_label(markets: list[dict], market: str, label: str) -> None:
    table = southbound_summary(markets, market)
    del table["tr"][table["schema"][0].index(label)]
    table["schema"][0].remove(label)


def unreadable_files(dataset: str, error_page: Path, re_encoded: Path, unread: str, cut: str) -> dict[str, BadInput]:
    """An HKEX dataset's file empty, cut in half, replaced by an HTML error page, or saved as UTF-16."""
    return {
        f"{dataset}: empty file": BadInput(dataset, lambda raws: [""], unread),
        f"{dataset}: truncated file": BadInput(dataset, lambda raws: [raws[0][: len(raws[0]) // 2]], cut),
        f"{dataset}: HTML error page": BadInput(dataset, lambda raws: fetched(error_page), unread),
        f"{dataset}: UTF-16 file": BadInput(dataset, lambda raws: fetched(re_encoded), unread),
    }


def flows_rerendered(files: list[str], sell_hkd: float) -> list[str]:
    """The day's Stock Connect file printed again with SSE's sell turnover replaced."""
    return flows_replaced(files, "SSE", sell_hkd=sell_hkd)


def day_flows(files: list[str]) -> dict[str, tuple[float, float]]:
    flows = southbound.parse(files[0]).set_index("channel")
    return {channel: (row.buy_hkd, row.sell_hkd) for channel, row in flows.iterrows()}


def flows_replaced(files: list[str], channel: str, **values: float) -> list[str]:
    """The day's Stock Connect file printed again (so its totals agree) with a channel's buy_hkd or sell_hkd set."""
    channels = day_flows(files)
    buy, sell = channels[channel]
    channels[channel] = (values.get("buy_hkd", buy), values.get("sell_hkd", sell))
    return [render_stock_connect_js(DAY, channels)]


def flows_scaled(files: list[str], factors: dict[str, tuple[float, float]]) -> list[str]:
    """The day's Stock Connect file printed again (so its totals agree) with channels' (buy, sell) multiplied."""
    channels = day_flows(files)
    for channel, (buy, sell) in factors.items():
        channels[channel] = (channels[channel][0] * buy, channels[channel][1] * sell)
    return [render_stock_connect_js(DAY, channels)]


def short_sale_of(code: str, **values: float) -> Callable:
    """A payload edit of the short selling report: one stock's short shares or turnover replaced."""

    def edit(rows: pd.DataFrame) -> pd.DataFrame:
        rows = rows.copy()
        for column, value in values.items():
            rows.loc[rows["stock_code"] == code, column] = value
        return rows

    return lambda pages: short_sales_rerendered(pages, edit)


def short_sale_priced_off(example: str, **values: float) -> BadInput:
    """Tencent's short sales edited so their average price is far outside its day's range (example: as shown)."""
    return BadInput("short_selling", short_sale_of("00700", **values),
                    r"expect_column_values_to_be_between\(short_price_beyond_day_range_pct\) 1 unexpected of \d+ "
                    rf"\[e\.g\. {example}")


def market_listed_twice(markets: list[dict]) -> None:
    """The SSE Southbound market again, with a different buy turnover (the last would win)."""
    again = json.loads(json.dumps(next(item for item in markets if item["market"] == "SSE Southbound")))
    markets.append(again)
    set_summary_value([again], "SSE Southbound", "Buy Turnover", "1.00")


def trading_day(flag) -> Callable[[list[dict]], None]:
    def edit(markets: list[dict]) -> None:
        for market in markets:
            market["tradingDay"] = flag

    return edit


def driver_closes(ticker: str, edit: Callable[[pd.Series], pd.Series]) -> Callable:
    """A payload edit: the drivers' yfinance frame with one ticker's closes edited (the Series by day)."""

    def edited(frame: pd.DataFrame) -> pd.DataFrame:
        frame = frame.copy()
        frame[("Close", ticker)] = edit(frame[("Close", ticker)].astype(object))
        return frame

    return edited


def driver_bars_stop(ticker: str, days_before: int) -> Callable:
    """A payload edit: the drivers' yfinance frame with none of the ticker's bars after days_before the day."""

    def stopped(frame: pd.DataFrame) -> pd.DataFrame:
        frame = frame.copy()
        recent = frame.index > TODAY - pd.Timedelta(days=days_before)
        frame.loc[recent, frame.columns.get_level_values("Ticker") == ticker] = np.nan
        return frame

    return stopped


def on_the_day(value) -> Callable[[pd.Series], pd.Series]:
    return lambda closes: closes.where(closes.index != TODAY, value)


BAD_INPUTS = {
    # The yfinance-shaped frame.
    "prices: nothing downloaded": BadInput("prices", lambda frame: pd.DataFrame(), r"the frame has no Open, High"),
    "prices: Volume column missing": BadInput(
        "prices", lambda frame: frame.drop(columns="Volume", level="Price"), r"the frame has no Volume column"
    ),
    "prices: extra column, a ticker not in Hong Kong": BadInput(
        "prices",
        lambda frame: pd.concat([frame, frame.xs("0700.HK", axis=1, level="Ticker", drop_level=False).rename(
            columns={"0700.HK": "AAPL"})], axis=1),
        r"'AAPL' is not a Hong Kong ticker",
    ),
    "prices: NaN high": tencent_scaled(r"expect_column_values_to_not_be_null\(high\) 1 unexpected", High=np.nan),
    "prices: zero close": tencent_scaled(
        r"expect_column_values_to_be_between\(close\) 1 unexpected of \d+ \[e\.g\. 0\.0\]", Close=0.0
    ),
    "prices: negative close": tencent_scaled(
        r"expect_column_values_to_be_between\(close\) 1 unexpected of \d+ \[e\.g\. -\d", Close=-1.0
    ),
    "prices: 100x price spike": tencent_scaled(  # a move alone is flagged; turnover against volume fails it
        r"expect_column_values_to_be_between\(turnover_price_beyond_day_range_pct\) 1 unexpected of \d+ "
        r"\[e\.g\. -9\d\.", Open=100, High=100, Low=100, Close=100,
    ),
    "prices: close above high": tencent_scaled(
        r"expect_column_pair_values_a_to_be_greater_than_b\(high, close\) 1 unexpected", Close=1.5
    ),
    "prices: negative volume": tencent_scaled(r"expect_column_values_to_be_between\(volume\) 1 unexpected", Volume=-1),
    "prices: duplicated rows": BadInput(
        "prices", lambda frame: pd.concat([frame, frame.loc[[TODAY]]]),
        r"expect_compound_columns_to_be_unique\(trade_date, stock_code\) \d+ unexpected",
    ),
    "prices: the wrong trading date": BadInput(
        "prices", lambda frame: frame.rename(index={TODAY: TODAY + pd.Timedelta(days=1)}),
        r"expect_column_distinct_values_to_contain_set\(trade_date\) 1 missing \[e\.g\. 2024-11-14\]",
    ),
    "prices: half the universe missing": BadInput(
        "prices", half_the_securities,
        r"expect_column_values_to_be_between\(session_rows\) \d+ unexpected",
    ),
    "prices: an index not found": BadInput(
        "prices", lambda frame: frame.drop(columns="HSTECH.HK", level="Ticker"),
        r"expect_column_distinct_values_to_contain_set\(stock_code\) 1 missing \[e\.g\. HSTECH\]",
    ),
    # HKEX's short selling report.
    **unreadable_files(
        "short_selling", FIXTURES / "bad_inputs" / "short_selling_error_page.htm",
        FIXTURES / "bad_inputs" / "short_selling_utf16.htm",
        unread=r"no HKEX short selling day-close report in this page: '",
        cut=r"Main Board section of the short selling report is truncated: it has no total lines",
    ),
    "short_selling: shares column missing": BadInput(
        "short_selling",
        lambda pages: [re.sub(r"^(\s+\d+  .{20}) +[\d,]+( +[\d,]+)$", r"\1\2", pages[0], flags=re.MULTILINE)],
        r"Main Board section of the 2024-11-14 short selling report: its rows add up to \d+ securities but its "
        r"total line says 129",
    ),
    "short_selling: extra column": BadInput(
        "short_selling", lambda pages: [re.sub(r"^(\s+\d+  .{20} +[\d,]+ +[\d,]+)$", r"\1        1,000", pages[0],
                                               flags=re.MULTILINE)],
        r"Main Board section of the 2024-11-14 short selling report: its rows add up to [\d,]+ shares",
    ),
    "short_selling: duplicated row": BadInput(
        "short_selling", lambda pages: short_sales_rerendered(pages, lambda rows: pd.concat([rows, rows.iloc[[0]]])),
        r"expect_compound_columns_to_be_unique\(trade_date, stock_code\) 2 unexpected",
    ),
    "short_selling: the wrong trading date": BadInput(
        "short_selling", lambda pages: [pages[0].replace("14 NOV 2024 (THURSDAY)", "13 NOV 2024 (WEDNESDAY)")],
        r"the source sent rows for 2024-11-13, not a requested session",
    ),
    "short_selling: a holiday's report": BadInput(
        "short_selling", lambda pages: [pages[0].replace("14 NOV 2024 (THURSDAY)", "25 DEC 2024 (WEDNESDAY)")],
        r"the source sent rows for 2024-12-25, not a requested session",
    ),
    "short_selling: most stocks missing": BadInput(
        "short_selling", lambda pages: short_sales_rerendered(pages, lambda rows: rows.head(10)),
        r"expect_column_values_to_be_between\(session_rows\) 10 unexpected of 10",
    ),
    "short_selling: short turnover above total turnover": BadInput(
        "short_selling", lambda pages: short_sales_rerendered(pages, lambda rows: rows.assign(
            short_turnover_hkd=rows["short_turnover_hkd"].mask(rows["stock_code"] == "00700", 1e12))),
        r"expect_column_pair_values_a_to_be_greater_than_b\(max_turnover_hkd, short_turnover_hkd\) 1 unexpected",
    ),
    # HKEX's Stock Connect daily statistics file.
    **unreadable_files(
        "southbound", FIXTURES / "hkex_stock_connect" / "error_page.html",
        FIXTURES / "bad_inputs" / "southbound_utf16.js",
        unread=r"not a complete HKEX Stock Connect 'tabData = \[\.\.\.\]' file: starts '",
        cut=r"HKEX Stock Connect file's tabData is not valid JSON",
    ),
    "southbound: Sell Turnover missing": BadInput(
        "southbound",
        lambda files: flows_edited(files, lambda markets: drop_summary_label(markets, "SZSE Southbound",
                                                                             "Sell Turnover")),
        r"SZSE Southbound summary has no 'Sell Turnover'",
    ),
    "southbound: extra value in the summary": BadInput(
        "southbound",
        lambda files: flows_edited(files, lambda markets: southbound_summary(markets, "SSE Southbound")["tr"].append(
            {"td": [["1.00"]]})),
        r"SSE Southbound summary has 7 labels but 8 values",
    ),
    "southbound: duplicated rows": BadInput(
        "southbound", lambda files: files * 2,
        r"expect_compound_columns_to_be_unique\(trade_date, channel\) 4 unexpected",
    ),
    "southbound: NaN buy turnover": BadInput(
        "southbound",
        lambda files: flows_edited(files, lambda markets: set_summary_value(markets, "SSE Southbound", "Buy Turnover",
                                                                            "NaN")),
        r"SSE Southbound Buy Turnover is 'NaN' HK\$ million: not a finite amount",
    ),
    "southbound: negative sell turnover": BadInput(
        "southbound", lambda files: flows_rerendered(files, sell_hkd=-1e6),
        r"SSE Southbound Sell Turnover is '-1\.00' HK\$ million: not a finite amount",
    ),
    "southbound: net is not buy - sell": BadInput(
        "southbound",
        lambda files: flows_edited(files, lambda markets: set_summary_value(markets, "SSE Southbound",
                                                                            "Total Turnover", "1,000.00")),
        r"expect_column_values_to_be_between\(total_minus_buy_and_sell_hkd\) 1 unexpected of 2",
    ),
    "southbound: the wrong trading date": BadInput(
        "southbound", lambda files: [files[0].replace(DAY.isoformat(), "2024-11-13")],
        r"the source sent rows for 2024-11-13, not a requested session",
    ),
    "southbound: a holiday file": BadInput(
        "southbound", lambda files: [render_stock_connect_js(DAY, None)],
        r"expect_column_distinct_values_to_contain_set\(trade_date\) 1 missing \[e\.g\. 2024-11-14\]",
    ),
    # Prices that disagree with the history already loaded, or with their own volume and turnover.
    "prices: the look-back session's row missing": BadInput(
        "prices", lambda frame: frame.drop(index=LOOK_BACK),
        r"expect_column_values_to_be_null\(stock_without_lookback_prev_close\) 174 unexpected of 174 "
        r"\[e\.g\. \d{5}",
    ),
    "prices: one stock's look-back close missing": BadInput(
        "prices", fields_scaled(("0700.HK",), (LOOK_BACK,), Close=np.nan),
        r"expect_column_values_to_be_null\(stock_without_lookback_prev_close\) 1 unexpected of 174 "
        r"\[e\.g\. 00700\]",
    ),
    "prices: the look-back close 30 % off the close loaded": BadInput(
        "prices", fields_scaled(None, (LOOK_BACK,), Close=1.3),
        r"expect_column_values_to_be_between\(prev_close_off_previous_close_pct\) 174 unexpected of 174 "
        r"\[e\.g\. 29\.",
    ),
    "prices: one stock's prices x1e6 on both rows": BadInput(
        "prices", prices_of("0700.HK", 1e6, (LOOK_BACK, TODAY)),
        r"expect_column_values_to_be_between\(prev_close_off_previous_close_pct\) 1 unexpected of 174 "
        r"\[e\.g\. 99999",
    ),
    "prices: a 2-for-1 split Yahoo does not declare": BadInput(
        "prices", split_on_the_day("0700.HK", 2.0, declared=False),
        r"expect_column_values_to_be_between\(prev_close_off_previous_close_pct\) 1 unexpected of 174 "
        r"\[e\.g\. -49\.99",
    ),
    "prices: every price x1000 on both rows": BadInput(
        "prices", fields_scaled(None, (LOOK_BACK, TODAY), **dict.fromkeys(PRICES, 1000)),
        r"expect_column_values_to_be_between\(prev_close_off_previous_close_pct\) 174 unexpected of 174",
    ),
    "prices: an index x1e12 on both rows": BadInput(
        "prices", prices_of("^HSI", 1e12, (LOOK_BACK, TODAY)),
        r"expect_column_values_to_be_between\(prev_close_off_previous_close_pct\) 1 unexpected of 174",
    ),
    "prices: an index up 880 %": BadInput(
        "prices", fields_scaled(("^HSI",), (TODAY,), High=9.8, Close=9.8),
        r"expect_column_values_to_be_between\(index_change_pct\) 1 unexpected of 174 \[e\.g\. 8\d\d\.",
    ),
    "prices: an index down 40 %": BadInput(
        "prices", fields_scaled(("HSTECH.HK",), (TODAY,), Low=0.6, Close=0.6),
        r"expect_column_values_to_be_between\(index_change_pct\) 1 unexpected of 174 \[e\.g\. -4\d\.",
    ),
    "prices: an index x1e12 on the day": BadInput(
        "prices", prices_of("^HSCE", 1e12),
        r"expect_column_values_to_be_between\(index_change_pct\) 1 unexpected of 174 \[e\.g\. \d{13}",
    ),
    "prices: NaN volume": tencent_scaled(r"0700\.HK on 2024-11-14 has a close but no volume", Volume=np.nan),
    "prices: volume 1e30": BadInput(
        "prices", fields_scaled(("0700.HK",), (TODAY,), Volume=1e30 / 13_193_174),
        r"0700\.HK on 2024-11-14 has a volume out of range",
    ),
    "prices: volume x1000 against HKEX's turnover": tencent_scaled(
        r"expect_column_values_to_be_between\(turnover_price_beyond_day_range_pct\) 1 unexpected of 174 "
        r"\[e\.g\. -99\.", Volume=1000,
    ),
    "prices: volume 0 for a stock HKEX says traded": tencent_scaled(
        r"expect_column_values_to_be_between\(turnover_price_beyond_day_range_pct\) 1 unexpected of 174 "
        r"\[e\.g\. \d{9}", Volume=0,
    ),
    "prices: two stocks' prices swapped": BadInput(
        "prices", prices_swapped("0700.HK", "0005.HK"),
        r"expect_column_values_to_be_between\(turnover_price_beyond_day_range_pct\) 2 unexpected of 174",
    ),
    "prices: a ticker twice (700.HK beside 0700.HK)": BadInput(
        "prices", ticker_twice,
        r"expect_compound_columns_to_be_unique\(trade_date, stock_code\) 2 unexpected",
    ),
    "prices: open below low": tencent_scaled(
        r"expect_column_pair_values_a_to_be_greater_than_b\(open, low\) 1 unexpected", Open=0.5
    ),
    "prices: no close on the day": BadInput(
        "prices", fields_scaled(None, (TODAY,), Close=np.nan),
        r"expect_column_distinct_values_to_contain_set\(trade_date\) 1 missing \[e\.g\. 2024-11-14\]",
    ),
    # HKEX's Daily Quotations, prices' turnover.
    "Daily Quotations: turnover x1000": BadInput(
        "prices", quoted_turnover(700, lambda turnover: turnover * 1000),
        r"expect_column_values_to_be_between\(turnover_price_beyond_day_range_pct\) 1 unexpected of 174 "
        r"\[e\.g\. 9\d{4}\.", upstream="fetch_daily_quotations",
    ),
    "Daily Quotations: turnover in thousands": BadInput(
        "prices", quoted_turnover(700, lambda turnover: turnover // 1000),
        r"expect_column_values_to_be_between\(turnover_price_beyond_day_range_pct\) 1 unexpected of 174 "
        r"\[e\.g\. -99\.", upstream="fetch_daily_quotations",
    ),
    "Daily Quotations: turnover 0 for a stock that traded": BadInput(
        "prices", quoted_turnover(700, lambda turnover: 0),
        r"expect_column_values_to_be_between\(turnover_price_beyond_day_range_pct\) 1 unexpected of 174 "
        r"\[e\.g\. -100\.0\]", upstream="fetch_daily_quotations",
    ),
    "Daily Quotations: a code printed twice": BadInput(
        "prices", quoted_twice, r"QUOTATIONS prints stock code 00700 twice", upstream="fetch_daily_quotations",
    ),
    "Daily Quotations: the page of an earlier day served for today": BadInput(
        "prices", lambda pages: SAMPLE_PAGES(Request([LOADED[0]])), r"not published", upstream="fetch_daily_quotations",
        errors=(StalePage,),
    ),
    # HKEX's short selling report against the day's prices.
    "short_selling: 10 billion short shares against a volume of 13 million": BadInput(
        "short_selling", short_sale_of("00700", short_shares=10_000_000_000),
        r"expect_column_pair_values_a_to_be_greater_than_b\(day_volume, short_shares\) 1 unexpected of \d+ "
        r"\[e\.g\. \(13193174\.0, 10000000000\)\]",
    ),
    "short_selling: short shares x1000": BadInput(
        "short_selling", short_sale_of("00700", short_shares=1_375_365_000, short_turnover_hkd=557_114_435_000),
        r"expect_column_pair_values_a_to_be_greater_than_b\(day_volume, short_shares\) 1 unexpected",
    ),
    "short_selling: 100 short shares for HK$557 million": short_sale_priced_off(r"1348\d+", short_shares=100),
    "short_selling: 0 short shares for HK$557 million": short_sale_priced_off(r"557114\d+", short_shares=0),
    "short_selling: HK$0 for 1.4 million short shares": short_sale_priced_off(r"-100\.0\]", short_turnover_hkd=0),
    "short_selling: short turnover x1000": short_sale_priced_off(r"9\d{4}\.", short_turnover_hkd=557_114_435_000),
    "short_selling: a stock listed twice with different values": BadInput(
        "short_selling", lambda pages: short_sales_rerendered(pages, lambda rows: pd.concat(
            [rows, rows.iloc[[0]].assign(short_shares=1, short_turnover_hkd=10.0)])),
        r"expect_compound_columns_to_be_unique\(trade_date, stock_code\) 2 unexpected",
    ),
    # HKEX's Stock Connect file: one row per channel, finite, under the ceiling, adding up, trading.
    "southbound: a market listed twice with different values": BadInput(
        "southbound", lambda files: flows_edited(files, market_listed_twice),
        r"lists 2 times the SSE Southbound market",
    ),
    "southbound: HK$1e15 with a consistent total": BadInput(
        "southbound", lambda files: flows_replaced(files, "SSE", buy_hkd=1e15),
        r"expect_column_values_to_be_between\(buy_hkd\) 1 unexpected of 2 \[e\.g\. 1000000000000000\.0\]",
    ),
    "southbound: figures x1000 (HK$ thousand read as million)": BadInput(
        "southbound", lambda files: flows_scaled(files, {"SSE": (1000, 1000), "SZSE": (1000, 1000)}),
        r"expect_column_values_to_be_between\(total_turnover_hkd\) 2 unexpected of 2",
    ),
    "southbound: zero flows on a trading day": BadInput(
        "southbound", lambda files: flows_scaled(files, {"SSE": (0, 0), "SZSE": (0, 0)}),
        r"expect_column_values_to_be_between\(total_turnover_hkd\) 2 unexpected of 2 \[e\.g\. 0\.0\]",
    ),
    "southbound: one channel's flows zero": BadInput(
        "southbound", lambda files: flows_scaled(files, {"SZSE": (0, 0)}),
        r"expect_column_values_to_be_between\(total_turnover_hkd\) 1 unexpected of 2 \[e\.g\. 0\.0\]",
    ),
    "southbound: tradingDay \"0\" as a string": BadInput(
        "southbound", lambda files: flows_edited(files, trading_day("0")), r"tradingDay is '0', not 0 or 1",
    ),
    "southbound: tradingDay 0 on a southbound trading day": BadInput(
        "southbound", lambda files: flows_edited(files, trading_day(0)),
        r"expect_column_distinct_values_to_contain_set\(trade_date\) 1 missing \[e\.g\. 2024-11-14\]",
    ),
    "southbound: Infinity": BadInput(
        "southbound",
        lambda files: flows_edited(files, lambda markets: set_summary_value(markets, "SSE Southbound", "Buy Turnover",
                                                                            "Infinity")),
        r"SSE Southbound Buy Turnover is 'Infinity' HK\$ million: not a finite amount",
    ),
    "southbound: HK$1e17": BadInput(
        "southbound",
        lambda files: flows_edited(files, lambda markets: set_summary_value(markets, "SSE Southbound", "Buy Turnover",
                                                                            "100,000,000,000.00")),
        r"SSE Southbound Buy Turnover is '100,000,000,000\.00' HK\$ million: not a finite amount",
    ),
    "southbound: a market missing": BadInput(
        "southbound",
        lambda files: flows_edited(files, lambda markets: markets.remove(
            next(item for item in markets if item["market"] == "SZSE Southbound"))),
        r"HKEX Stock Connect file of 2024-11-14 has no SZSE Southbound market",
    ),
    # The market's drivers: yfinance's frame of Bitcoin, the dollar index, gold and USD/CNH.
    "macro: Bitcoin's close x1e6": BadInput(
        "macro", driver_closes("BTC-USD", lambda closes: closes.where(closes.index != TODAY, closes * 1e6)),
        r"expect_column_values_to_be_between\(close\) 1 unexpected of 4 \[e\.g\. 91051000000",
    ),
    "macro: a negative close": BadInput(
        "macro", driver_closes("GC=F", on_the_day(-2572.6)),
        r"expect_column_values_to_be_between\(close\) 1 unexpected of 4 \[e\.g\. -2572\.6",
    ),
    "macro: a close that is not a number": BadInput(
        "macro", driver_closes("CNH=X", on_the_day("7,23")),
        r"CNH=X on 2024-11-14 has a close that is not a number: '7,23'",
    ),
    "macro: infinite close": BadInput(
        "macro", driver_closes("DX-Y.NYB", on_the_day(np.inf)),
        r"expect_column_values_to_be_between\(close\) 1 unexpected of 4 \[e\.g\. inf",
    ),
    "macro: no Close field": BadInput(
        "macro", lambda frame: frame.drop(columns="Close", level="Price"), r"the frame has no Close column",
    ),
    "macro: Bitcoin's bars stop nine days before the day (stale)": BadInput(
        "macro", driver_bars_stop("BTC-USD", days_before=9),
        r"expect_column_values_to_be_between\(close_age_days\) 1 unexpected of 4 \[e\.g\. 9",
    ),
    "macro: a driver the project does not know": BadInput(
        "macro", lambda frame: frame.rename(columns={"CNH=X": "CNY=X"}, level="Ticker"),
        r"expect_column_values_to_be_in_set\(instrument\) 1 unexpected of 4 \[e\.g\. CNY=X\]",
    ),
    # Unusual but real: the day loads, the row flagged and listed in quarantine.
    "macro: Bitcoin up a third in a day": BadInput(
        "macro", driver_closes("BTC-USD", lambda closes: closes.where(closes.index != TODAY, closes * 1.3)),
        quarantined="expect_column_values_to_be_null(change_pct_beyond_limit)",
    ),
    "prices: a 2-for-1 split Yahoo declares, the look-back's close re-scaled": BadInput(
        "prices", split_on_the_day("0700.HK", 2.0),
        quarantined="expect_column_values_to_be_null(declared_split_ratio)",
    ),
    "prices: a small stock up 80 % on news, its turnover to match": BadInput(
        "prices", prices_of("2878.HK", 1.8), more=(("fetch_daily_quotations", quoted_turnover(
            2878, lambda turnover: round(turnover * 1.8))),),
        quarantined="expect_column_values_to_be_between(security_change_pct)",
    ),
    "prices: a small stock down 60 % on news, its turnover to match": BadInput(
        "prices", prices_of("1499.HK", 0.4), more=(("fetch_daily_quotations", quoted_turnover(
            1499, lambda turnover: round(turnover * 0.4))),),
        quarantined="expect_column_values_to_be_between(security_change_pct)",
    ),
}
FETCHES = {"prices": "yahoo_frame", "short_selling": "short_selling", "southbound": "southbound", "macro": "macro"}
# What the sample fetches, by name: its module and function.
UPSTREAMS = {"yahoo_frame": (prices_sample, "yahoo_frame"),
             "fetch_daily_quotations": (prices_sample, "fetch_daily_quotations"),
             "short_selling": (short_selling_sample, "fetch"), "southbound": (southbound_sample, "fetch"),
             "macro": (macro_sample, "yahoo_frame")}


@pytest.fixture(scope="module")
def loaded(tmp_path_factory) -> tuple[Path, Path]:
    """A warehouse with LOADED run through the library, and a copy of it and of its landing zone."""
    root = tmp_path_factory.mktemp("bad_inputs")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HK_MARKET_WAREHOUSE", str(root / "hk_market.duckdb"))
        patch.setenv("HK_MARKET_LANDING", str(root / "landing"))
        run_window(LOADED)
    shutil.copytree(root / "landing", root / "landing_as_loaded")
    shutil.copy2(root / "hk_market.duckdb", root / "as_loaded.duckdb")
    return root / "hk_market.duckdb", root / "landing_as_loaded"


@pytest.fixture
def warehouse(loaded, monkeypatch) -> Path:
    """The loaded warehouse, it and its landing zone put back as loaded after the test (a flagged input loads)."""
    path, landing_as_loaded = loaded
    landing = path.parent / "landing"
    monkeypatch.setenv("HK_MARKET_WAREHOUSE", str(path))
    monkeypatch.setenv("HK_MARKET_LANDING", str(landing))
    yield path
    shutil.rmtree(landing)
    shutil.copytree(landing_as_loaded, landing)
    shutil.copy2(path.parent / "as_loaded.duckdb", path)
    path.with_name(path.name + ".wal").unlink(missing_ok=True)


def send_instead(bad: BadInput, monkeypatch) -> None:
    """Make the sample source send the bad input's payloads instead of its own."""
    for upstream, payload in ((bad.upstream or FETCHES[bad.dataset], bad.payload), *bad.more):
        module, name = UPSTREAMS[upstream]
        fetch = getattr(module, name)
        monkeypatch.setattr(module, name, lambda *args, _fetch=fetch, _payload=payload, **kwargs: _payload(
            _fetch(*args, **kwargs)))


def before_the_day(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Each table's rows of days before DAY (all its rows if it has no trade_date)."""
    return {table: rows[pd.to_datetime(rows["trade_date"]) < TODAY].reset_index(drop=True)
            if "trade_date" in rows else rows for table, rows in tables.items()}


def run_day(dataset: str, run_id: str) -> None:
    """The dataset's steps for DAY in the DAG's order: extract, validate, then load and build."""
    pipeline.extract(dataset, [DAY])
    pipeline.validate(dataset, [DAY], run_id)
    pipeline.load([DAY], run_id, "sample")
    pipeline.build([DAY])


FAILING = {name: bad for name, bad in BAD_INPUTS.items() if not bad.quarantined}
FLAGGED = {name: bad for name, bad in BAD_INPUTS.items() if bad.quarantined}


def test_the_corpus_covers_every_dataset_and_upstream_with_at_least_60_inputs():
    assert len(BAD_INPUTS) >= 60
    assert {bad.dataset for bad in BAD_INPUTS.values()} == set(FETCHES) == set(NAMES)
    assert {bad.upstream for bad in BAD_INPUTS.values()} == {"", "fetch_daily_quotations"}
    assert all(bad.cause for bad in FAILING.values()) and FLAGGED


@pytest.mark.parametrize("bad", FAILING.values(), ids=FAILING)
def test_a_bad_input_fails_naming_dataset_day_and_cause_and_leaves_the_warehouse_unchanged(
    bad, warehouse, monkeypatch
):
    send_instead(bad, monkeypatch)
    before = contents(warehouse)

    with pytest.raises(bad.errors) as failure:
        run_day(bad.dataset, run_id="bad_input")

    message = str(failure.value)
    assert message.startswith(f"{bad.dataset} {DAY}: "), message
    assert re.search(bad.cause, message), message
    assert_same_contents(contents(warehouse), before)


@pytest.mark.parametrize("bad", FLAGGED.values(), ids=FLAGGED)
def test_an_unusual_but_real_input_loads_its_rows_flagged_in_quarantine_and_earlier_days_unchanged(
    bad, warehouse, monkeypatch
):
    send_instead(bad, monkeypatch)
    before = contents(warehouse)

    run_day(bad.dataset, run_id="flagged_input")

    with duckdb.connect(str(warehouse), read_only=True) as con:
        flagged = con.execute(
            "select severity, observed from audit.validation_results where run_id = 'flagged_input' and not success"
        ).fetchall()
        quarantined = con.execute(
            f"select trade_date, expectation from audit.quarantine_{bad.dataset} where run_id = 'flagged_input'"
        ).fetchall()
        loaded_days = con.execute("select count(distinct trade_date) from marts.security_daily").fetchone()
    assert [severity for severity, _ in flagged] == ["warning"], flagged
    assert quarantined == [(DAY, bad.quarantined)]
    assert loaded_days == (len(LOADED),)
    assert_same_contents(before_the_day(contents(warehouse)), before_the_day(before))


def test_a_failed_validation_is_recorded_its_rows_quarantined_and_shown_in_the_data_docs(warehouse, monkeypatch,
                                                                                         caplog):
    send_instead(BAD_INPUTS["prices: 100x price spike"], monkeypatch)

    with caplog.at_level(logging.INFO), pytest.raises(DataQualityError):
        run_day("prices", run_id="spike_run")

    with duckdb.connect(str(warehouse), read_only=True) as con:
        recorded = con.execute(
            "select expectation, column_name, severity, success, observed, first_session, last_session "
            "from audit.validation_results where run_id = 'spike_run'"
        ).df()
        quarantined = con.execute(
            "select trade_date, stock_code, expectation from audit.quarantine_prices where run_id = 'spike_run'"
        ).fetchall()
    assert len(recorded) == len(rules.suite_rules("prices"))
    assert set(recorded["severity"]) == {"critical", "warning"}
    assert (recorded["first_session"] == TODAY).all() and (recorded["last_session"] == TODAY).all()
    failed = recorded[~recorded["success"]]
    assert failed[["expectation", "column_name", "severity"]].values.tolist() == [
        ["expect_column_values_to_be_between", "turnover_price_beyond_day_range_pct", "critical"],
        ["expect_column_values_to_be_between", "security_change_pct", "warning"],
    ]
    assert failed["observed"].iloc[0].startswith("1 unexpected of 174 [e.g. -98.")
    assert failed["observed"].iloc[1].startswith("1 unexpected of 174 [e.g. 9")
    assert quarantined == [(DAY, "00700", "expect_column_values_to_be_between(turnover_price_beyond_day_range_pct); "
                                          "expect_column_values_to_be_between(security_change_pct)")]
    index = (data_docs_site.site_dir() / "index.html").read_text()
    assert "spike_run" in index
    (told,) = [record.getMessage() for record in caplog.records if record.name == "hk_market.pipeline"
               and "Data Docs" in record.getMessage()]  # the task log's one line for the dataset
    outcome, page = told.split("; Data Docs: ")
    assert outcome == (f"prices 2024-11-14: FAILED 1 critical of {len(recorded)} expectations, 1 warning, "
                       "1 row quarantined")
    assert Path(page).is_file() and "spike_run" in Path(page).parts


def test_a_split_yahoo_does_not_declare_fails_the_day_naming_the_stock_and_declared_it_loads_flagged(
    warehouse, monkeypatch
):
    with pytest.MonkeyPatch.context() as undeclared:
        send_instead(BAD_INPUTS["prices: a 2-for-1 split Yahoo does not declare"], undeclared)
        with pytest.raises(DataQualityError, match=r"prev_close_off_previous_close_pct\) 1 unexpected of 174"):
            run_day("prices", run_id="undeclared_split")
    send_instead(BAD_INPUTS["prices: a 2-for-1 split Yahoo declares, the look-back's close re-scaled"], monkeypatch)
    run_day("prices", run_id="declared_split")

    with duckdb.connect(str(warehouse), read_only=True) as con:
        quarantined = con.execute(
            "select run_id, trade_date, stock_code, expectation from audit.quarantine_prices "
            "where run_id in ('undeclared_split', 'declared_split') order by run_id desc"
        ).fetchall()
        loaded = con.execute(
            "select r.prev_close, r.split_ratio, r.close, s.prev_close, s.change_pct from raw.prices as r "
            "join marts.security_daily as s using (trade_date, stock_code) "
            "where trade_date = $day and stock_code = '00700'", {"day": DAY}).fetchone()
        look_back = con.execute("select close from raw.prices where trade_date = $day and stock_code = '00700'",
                                {"day": LOADED[0]}).fetchone()
    assert quarantined == [
        ("undeclared_split", DAY, "00700", "expect_column_values_to_be_between(prev_close_off_previous_close_pct)"),
        ("declared_split", DAY, "00700", "expect_column_values_to_be_null(declared_split_ratio)"),
    ]
    prev_close, split_ratio, close, mart_prev_close, change_pct = loaded
    assert split_ratio == 2.0
    assert prev_close * split_ratio == pytest.approx(look_back[0])  # Yahoo's re-scaled look-back: the old shares'
    assert mart_prev_close == prev_close
    assert change_pct == pytest.approx(100 * (close / prev_close - 1))  # the day's move in the new shares' scale
