"""Property-based fuzzing of every upstream parser: whatever an upstream sends, only the project's own errors come
out (SourceDataError, NotPublished, NoTradingDay), and what parses has the landing schema and sane values.

Inputs are the real-layout fixtures mutated (lines deleted, duplicated or swapped, digits changed, inf / NaN /
huge / negative numbers and impossible dates inserted, text cut off), random structures in each upstream's shape,
and random text. Each test is bounded by max_examples, so the file runs in about 10 s inside `make test`.
"""

import datetime as dt
import io
import json
import math
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hk_market import universe
from hk_market.datasets.macro import parse as macro
from hk_market.datasets.macro.schema import INSTRUMENTS
from hk_market.datasets.macro.schema import LANDING_SCHEMA as MACRO_SCHEMA
from hk_market.datasets.prices import parse as prices
from hk_market.datasets.prices.schema import LANDING_SCHEMA as PRICES_SCHEMA
from hk_market.datasets.short_selling import parse as short_selling
from hk_market.datasets.short_selling.schema import LANDING_SCHEMA as SHORT_SELLING_SCHEMA
from hk_market.datasets.southbound import parse as southbound
from hk_market.datasets.southbound.schema import LANDING_SCHEMA as SOUTHBOUND_SCHEMA
from hk_market.hkex import daily_quotations
from hk_market.sources.errors import NotPublished, NoTradingDay, SourceDataError

FIXTURES = Path(__file__).parents[1] / "fixtures"
PROJECT_ERRORS = (SourceDataError, NotPublished, NoTradingDay)
# `make test` runs EXAMPLES per parser; HK_MARKET_FUZZ_EXAMPLES=5000 runs a longer campaign.
EXAMPLES = int(os.environ.get("HK_MARKET_FUZZ_EXAMPLES", "100"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
SAMPLES = settings(FUZZ, max_examples=max(EXAMPLES // 5, 1))  # workbooks are slow to build
# What broken upstreams put where a number or a date belongs.
TOKENS = ("inf", "-inf", "Infinity", "NaN", "nan", "1e400", "-1", "-1,000", "0", "99,999,999,999,999,999,999",
          "1e16", "9" * 400, "1e999999", ",", ",,", ".", "N/A", "-", "31 NOV 2024", "29 FEB 2023", "14 NOV 9999",
          "14 NOV -2024", "9999-11-14", "-2024-11-14", "2024-02-30", "%", "*", "\x00", "\ufeff", "</pre>",
          "<a name = \"quotations\">", "", "Hong Kong Public Holiday, NO TRADING.", "Total Shares (SH):",
          "TRADING SUSPENDED", "HKD", "\r\n")


def fixture(path: str) -> str:
    return (FIXTURES / path).read_text()


@st.composite
def mutated(draw, text: str) -> str:
    """text with up to six edits: a line deleted, duplicated or swapped with another, a digit changed, a token
    inserted, or the text cut off."""
    lines = text.split("\n")
    for _ in range(draw(st.integers(0, 6))):
        edit = draw(st.sampled_from(("delete", "duplicate", "swap", "digit", "token", "cut")))
        at = draw(st.integers(0, len(lines) - 1)) if lines else 0
        if edit == "delete" and lines:
            del lines[at]
        elif edit == "duplicate" and lines:
            lines.insert(at, lines[at])
        elif edit == "swap" and lines:
            other = draw(st.integers(0, len(lines) - 1))
            lines[at], lines[other] = lines[other], lines[at]
        elif edit == "digit" and lines:
            digits = [position for position, character in enumerate(lines[at]) if character.isdigit()]
            if digits:
                position = draw(st.sampled_from(digits))
                lines[at] = lines[at][:position] + draw(st.sampled_from("0123456789")) + lines[at][position + 1 :]
        elif edit == "token" and lines:
            position = draw(st.integers(0, len(lines[at])))
            replaced = draw(st.integers(0, 12))
            lines[at] = lines[at][:position] + draw(st.sampled_from(TOKENS)) + lines[at][position + replaced :]
        elif edit == "cut":
            joined = "\n".join(lines)
            lines = joined[: draw(st.integers(0, len(joined)))].split("\n")
    return "\n".join(lines)


def upstream_text(text: str):
    """Mutations of an upstream's fixture, and random text."""
    return st.one_of(mutated(text), st.text(max_size=400))


def refused_or(parse, *args):
    """parse(*args), or None if it raised one of the project's errors: anything else escapes and fails the test."""
    try:
        return parse(*args)
    except PROJECT_ERRORS:
        return None


def assert_schema(frame: pd.DataFrame, schema: dict[str, str]) -> None:
    assert frame.dtypes.astype(str).to_dict() == schema


# Daily Quotations: QUOTATIONS turnover and the short selling section.
QUOTATIONS = fixture("hkex_daily_quotations/d241113e.htm")


@FUZZ
@given(upstream_text(QUOTATIONS))
def test_daily_quotations_turnover_raises_only_project_errors(raw):
    frame = refused_or(daily_quotations.parse, raw)
    if frame is None:
        return
    assert_schema(frame, daily_quotations.TURNOVER_SCHEMA)
    assert frame["stock_code"].is_unique
    assert np.isfinite(frame["turnover_hkd"]).all() and (frame["turnover_hkd"] >= 0).all()


# The day-close short selling report.
SHORT_SELLING = fixture("hkex_short_selling/ashtmain_20241114.htm")


@pytest.mark.parametrize("parse, text", [(short_selling.parse, SHORT_SELLING),
                                         (lambda raw: short_selling.parse_many([raw]), QUOTATIONS)],
                         ids=["day-close report", "Daily Quotations section"])
@FUZZ
@given(data=st.data())
def test_short_selling_parsers_raise_only_project_errors(parse, text, data):
    frame = refused_or(parse, data.draw(upstream_text(text)))
    if frame is not None:
        assert_schema(frame, SHORT_SELLING_SCHEMA)
        assert (frame["short_shares"] >= 0).all() and (frame["short_turnover_hkd"] >= 0).all()


@FUZZ
@given(st.lists(st.one_of(upstream_text(SHORT_SELLING), upstream_text(QUOTATIONS)), max_size=3))
def test_short_selling_pages_of_both_kinds_raise_only_project_errors(raws):
    frame = refused_or(short_selling.parse_many, raws)
    if frame is None:
        return
    assert_schema(frame, SHORT_SELLING_SCHEMA)


# Stock Connect: text mutations, and JSON whose values are replaced by anything JSON can hold.
STOCK_CONNECT = fixture("hkex_stock_connect/data_tab_daily_20241114e.js")
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.sampled_from(TOKENS) | st.text(max_size=10),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=8,
)


def _leaves(node, path=()):
    """(path, value) of every leaf of a parsed JSON document, and of every list and object."""
    yield path, node
    children = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, child in children:
        yield from _leaves(child, (*path, key))


@st.composite
def stock_connect_files(draw) -> str:
    """The fixture's markets with up to four nodes replaced by random JSON, a market dropped or listed twice."""
    markets = json.loads(STOCK_CONNECT.split("=", 1)[1].strip().rstrip(";"))
    for _ in range(draw(st.integers(0, 4))):
        path, _ = draw(st.sampled_from(list(_leaves(markets))[1:]))
        parent = markets
        for key in path[:-1]:
            parent = parent[key]
        parent[path[-1]] = draw(JSON_VALUES)
    if draw(st.booleans()):
        markets.insert(draw(st.integers(0, len(markets))), draw(st.sampled_from(markets)))
    return f"tabData = {json.dumps(markets)};"


@FUZZ
@given(st.one_of(stock_connect_files(), upstream_text(STOCK_CONNECT),
                 JSON_VALUES.map(lambda value: f"tabData = [{json.dumps(value)}];")))
def test_stock_connect_file_raises_only_project_errors(raw):
    frame = refused_or(southbound.parse, raw)
    if frame is None:
        return
    assert_schema(frame, SOUTHBOUND_SCHEMA)
    flows = frame[["buy_hkd", "sell_hkd", "total_turnover_hkd"]].to_numpy()
    assert np.isfinite(flows).all() and (flows >= 0).all() and (flows < southbound.CEILING_HKD).all()
    assert frame["channel"].is_unique


# Prices: yfinance-shaped frames of random values, tickers and dates.
DAYS = [dt.date(2024, 11, 13), dt.date(2024, 11, 14)]
INDEX_CODES = {"^HSI": "HSI"}
FIGURES = st.floats(allow_nan=True, allow_infinity=True) | st.sampled_from([1e30, -1.0, 0.0, 410.0, 1e6])


@st.composite
def yfinance_frames(draw) -> pd.DataFrame:
    tickers = draw(st.lists(st.sampled_from(["0700.HK", "0005.HK", "^HSI", "AAPL", "123456.HK", "0005.HK"]),
                            min_size=1, max_size=4))
    days = draw(st.lists(st.sampled_from([*DAYS, dt.date(2024, 11, 12), dt.date(9999, 1, 1)]), min_size=1,
                         max_size=3))
    index = pd.DatetimeIndex(days, name="Date")
    if draw(st.booleans()):
        index = index.tz_localize(draw(st.sampled_from(["Asia/Hong_Kong", "UTC", "America/New_York"])))
    fields = draw(st.lists(st.sampled_from(prices.PRICE_FIELDS), min_size=4, max_size=6))
    values = {field: pd.DataFrame([[draw(FIGURES) for _ in tickers] for _ in days], index=index, columns=tickers)
              for field in dict.fromkeys(fields)}
    return pd.concat(values, axis=1, names=["Price", "Ticker"])


@FUZZ
@given(yfinance_frames(), st.lists(st.tuples(st.sampled_from([*DAYS, dt.date(2024, 11, 12)]),
                                             st.sampled_from(["00700", "00005"]), FIGURES), max_size=3))
def test_prices_frame_raises_only_project_errors(raw, turnover):
    published = pd.DataFrame(turnover, columns=list(daily_quotations.TURNOVER_SCHEMA))
    frame = refused_or(prices.parse, raw, DAYS[1:], INDEX_CODES, published.astype(daily_quotations.TURNOVER_SCHEMA))
    if frame is None:
        return
    assert_schema(frame, PRICES_SCHEMA)
    assert set(frame["trade_date"].dt.date) <= {DAYS[1]}
    assert (frame["volume"].abs() < prices.VOLUME_CEILING).all()


# The market's drivers: yfinance-shaped frames of the drivers (and strangers), their closes random.
MACRO_DAYS = [dt.date(2024, 11, 4), dt.date(2024, 11, 8), dt.date(2024, 11, 13), dt.date(2024, 11, 14)]
CLOSES = FIGURES | st.sampled_from(["91,051", "n/a", "", None])


@st.composite
def macro_frames(draw) -> pd.DataFrame:
    tickers = draw(st.lists(st.sampled_from([*INSTRUMENTS, "BTC-USD", "ETH-USD"]), min_size=1, max_size=5))
    days = draw(st.lists(st.sampled_from([*MACRO_DAYS, dt.date(9999, 1, 1)]), min_size=1, max_size=5))
    index = pd.DatetimeIndex(days, name="Date")
    if draw(st.booleans()):
        index = index.tz_localize(draw(st.sampled_from(["UTC", "America/New_York"])))
    fields = draw(st.lists(st.sampled_from(["Close", "Open", "Adj Close"]), min_size=1, max_size=3))
    values = {field: pd.DataFrame([[draw(CLOSES) for _ in tickers] for _ in days], index=index, columns=tickers)
              for field in dict.fromkeys(fields)}
    return pd.concat(values, axis=1, names=["Price", "Ticker"])


@FUZZ
@given(macro_frames())
def test_macro_frame_raises_only_project_errors(raw):
    frame = refused_or(macro.landing, macro.Upstream(raw, MACRO_DAYS[-2:]))
    if frame is None:
        return
    assert_schema(frame, MACRO_SCHEMA)
    assert set(frame["trade_date"].dt.date) <= set(MACRO_DAYS[-2:])
    assert (frame["close_date"] <= frame["trade_date"]).all()
    assert frame.set_index(["trade_date", "instrument"]).index.is_unique


# The List of Securities workbook: its cells mutated, and its bytes.
WORKBOOK = (FIXTURES / "hkex_list_of_securities" / "ListOfSecurities.xlsx").read_bytes()
SHEET = pd.read_excel(io.BytesIO(WORKBOOK), header=None, dtype=str).astype(object)
CELLS = st.none() | st.sampled_from([token for token in TOKENS if token != "\x00"]) | st.text(
    st.characters(exclude_categories=("Cc", "Cs")), max_size=12) | st.sampled_from(
    ["00700", "80700", "700", "RMB", "USD", "HKD", "Equity", "Stock Code", "Updated as at 31/11/2025"])


@st.composite
def list_of_securities_workbooks(draw) -> bytes:
    sheet = SHEET.copy()
    for _ in range(draw(st.integers(0, 5))):
        sheet.iat[draw(st.integers(0, sheet.shape[0] - 1)), draw(st.integers(0, sheet.shape[1] - 1))] = draw(CELLS)
    if draw(st.booleans()):
        sheet = sheet.drop(index=draw(st.sampled_from(list(sheet.index))))
    if draw(st.booleans()):
        sheet = pd.concat([sheet, sheet.iloc[[draw(st.integers(0, len(sheet) - 1))]]])
    content = io.BytesIO()
    sheet.to_excel(content, header=False, index=False)
    return content.getvalue()


@st.composite
def corrupted_bytes(draw) -> bytes:
    data = bytearray(WORKBOOK[: draw(st.integers(0, len(WORKBOOK)))])
    for _ in range(draw(st.integers(0, 4))):
        if data:
            data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
    return bytes(data)


@SAMPLES
@given(st.one_of(list_of_securities_workbooks(), corrupted_bytes(), st.binary(max_size=200)))
def test_list_of_securities_raises_only_project_errors(workbook):
    listed = refused_or(universe.parse_list_of_securities, workbook)
    if listed is None:
        return
    assert listed["stock_code"].str.fullmatch(r"\d{5}").all() and listed["stock_code"].is_unique
    assert set(listed["security_type"]) <= {"equity", "etf"} and set(listed["board"]) <= {"MAIN", "GEM"}


@pytest.mark.parametrize("value", [math.inf, -math.inf, math.nan, -1.0, 1e16])
def test_the_fuzzed_southbound_bounds_hold_for_each_named_value(value):
    markets = json.loads(STOCK_CONNECT.split("=", 1)[1].strip().rstrip(";"))
    markets[1]["content"][0]["table"]["tr"][1]["td"][0][0] = value / 1e6 if math.isfinite(value) else value
    with pytest.raises(SourceDataError, match="SSE Southbound Buy Turnover"):
        southbound.parse(f"tabData = {json.dumps(markets)};")
