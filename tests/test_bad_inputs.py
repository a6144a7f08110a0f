"""A corpus of bad inputs, one per way an upstream goes wrong, in both source shapes (the yfinance frame
and HKEX's files): each fails the day with an error naming the dataset, the day and the cause, and the
warehouse's raw, core and mart tables are exactly as they were.

Each bad input replaces what the sample source fetches for a session already in the warehouse; the
dataset then goes through extract and validate, and load and build only if those let it through.
"""

import datetime as dt
import json
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from hk_market import pipeline, quality, reference
from hk_market.quality import DataQualityError
from hk_market.sample.hkex_formats import render_short_selling_report, render_stock_connect_js
from hk_market.sources import sample, short_selling, southbound
from hk_market.sources.errors import SourceDataError

from .test_pipeline import run_window
from .warehouse_contents import assert_same_contents, contents

DAY = dt.date(2024, 11, 14)
LOADED = [dt.date(2024, 11, 13), DAY]
TODAY = pd.Timestamp(DAY)
FIXTURES = Path(__file__).parent / "fixtures"


@dataclass(frozen=True)
class BadInput:
    """What the source sends instead of the day's payload, and the error's cause it must produce."""

    dataset: str
    payload: Callable  # the day's good payload -> the bad one
    cause: str  # a regular expression the error message must match


def fetched(path: Path) -> list[str]:
    """A file as the live source reads a body: UTF-8, undecodable bytes replaced."""
    return [path.read_bytes().decode("utf-8", errors="replace")]


def tencent_scaled(cause: str, **factors: float) -> BadInput:
    """The yfinance frame with Tencent's (0700.HK) fields of the day multiplied (Close=0.0 zeroes its close)."""

    def scaled(frame: pd.DataFrame) -> pd.DataFrame:
        frame = frame.copy()
        for field, factor in factors.items():
            frame.loc[TODAY, (field, "0700.HK")] *= factor
        return frame

    return BadInput("prices", scaled, cause)


def half_the_securities(frame: pd.DataFrame) -> pd.DataFrame:
    """The yfinance frame with every other security's columns dropped, the indices kept."""
    tickers = frame.columns.get_level_values("Ticker")
    securities = sorted(set(tickers) - set(reference.indices()["yahoo_ticker"]))
    return frame.loc[:, ~tickers.isin(securities[::2])]


def short_sales_rerendered(pages: list[str], edit: Callable[[pd.DataFrame], pd.DataFrame]) -> list[str]:
    """The day's short selling report with its rows edited, printed again with total lines that agree."""
    rows = edit(short_selling.parse(pages[0])).assign(board="MAIN")
    names = {code: f"STOCK {code}" for code in rows["stock_code"]}
    return [render_short_selling_report(DAY, rows, names)]


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
    flows = southbound.parse(files[0]).set_index("channel")
    channels = {channel: (row.buy_hkd, row.sell_hkd) for channel, row in flows.iterrows()}
    channels["SSE"] = (channels["SSE"][0], sell_hkd)
    return [render_stock_connect_js(DAY, channels)]


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
    "prices: 100x price spike": tencent_scaled(
        r"expect_column_values_to_be_between\(security_change_pct\) 1 unexpected of \d+ \[e\.g\. 9\d{3}\.",
        Open=100, High=100, Low=100, Close=100,
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
        r"expect_column_values_to_not_be_null\(buy_hkd\) 1 unexpected",
    ),
    "southbound: negative sell turnover": BadInput(
        "southbound", lambda files: flows_rerendered(files, sell_hkd=-1e6),
        r"expect_column_values_to_be_between\(sell_hkd\) 1 unexpected of 2 \[e\.g\. -1000000\.0\]",
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
}
FETCHES = {"prices": "fetch_prices", "short_selling": "fetch_short_selling", "southbound": "fetch_southbound"}


@pytest.fixture(scope="module")
def loaded(tmp_path_factory) -> tuple[Path, Path]:
    """A warehouse with LOADED run through the library, and a copy of its landing zone."""
    root = tmp_path_factory.mktemp("bad_inputs")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HK_MARKET_WAREHOUSE", str(root / "hk_market.duckdb"))
        patch.setenv("HK_MARKET_LANDING", str(root / "landing"))
        run_window(LOADED)
    shutil.copytree(root / "landing", root / "landing_as_loaded")
    return root / "hk_market.duckdb", root / "landing_as_loaded"


@pytest.fixture
def warehouse(loaded, monkeypatch) -> Path:
    """The loaded warehouse, its landing zone put back as loaded after the test."""
    path, landing_as_loaded = loaded
    landing = path.parent / "landing"
    monkeypatch.setenv("HK_MARKET_WAREHOUSE", str(path))
    monkeypatch.setenv("HK_MARKET_LANDING", str(landing))
    yield path
    shutil.rmtree(landing)
    shutil.copytree(landing_as_loaded, landing)


def run_day(dataset: str, run_id: str) -> None:
    """The dataset's steps for DAY in the DAG's order: extract, validate, then load and build."""
    pipeline.extract(dataset, [DAY])
    pipeline.validate(dataset, [DAY], run_id)
    pipeline.load([DAY], run_id, "sample")
    pipeline.build([DAY])


def test_the_corpus_covers_every_dataset_with_at_least_25_bad_inputs():
    assert len(BAD_INPUTS) >= 25
    assert {bad.dataset for bad in BAD_INPUTS.values()} == set(FETCHES)


@pytest.mark.parametrize("bad", BAD_INPUTS.values(), ids=BAD_INPUTS)
def test_a_bad_input_fails_naming_dataset_day_and_cause_and_leaves_the_warehouse_unchanged(
    bad, warehouse, monkeypatch
):
    fetch = getattr(sample, FETCHES[bad.dataset])
    monkeypatch.setattr(sample, FETCHES[bad.dataset], lambda *args, **kwargs: bad.payload(fetch(*args, **kwargs)))
    before = contents(warehouse)

    with pytest.raises((SourceDataError, DataQualityError)) as failure:
        run_day(bad.dataset, run_id="bad_input")

    message = str(failure.value)
    assert message.startswith(f"{bad.dataset} {DAY}: "), message
    assert re.search(bad.cause, message), message
    assert_same_contents(contents(warehouse), before)


def test_a_failed_validation_is_recorded_its_rows_quarantined_and_shown_in_the_data_docs(warehouse, monkeypatch):
    spike = BAD_INPUTS["prices: 100x price spike"]
    fetch = sample.fetch_prices
    monkeypatch.setattr(sample, "fetch_prices", lambda *args, **kwargs: spike.payload(fetch(*args, **kwargs)))

    with pytest.raises(DataQualityError):
        run_day("prices", run_id="spike_run")

    with duckdb.connect(str(warehouse), read_only=True) as con:
        recorded = con.execute(
            "select expectation, column_name, severity, success, observed, first_session, last_session "
            "from audit.validation_results where run_id = 'spike_run'"
        ).df()
        quarantined = con.execute(
            "select trade_date, stock_code, expectation from audit.quarantine_prices where run_id = 'spike_run'"
        ).fetchall()
    assert len(recorded) == len(quality.suite_rules("prices"))
    assert set(recorded["severity"]) == {"critical", "warning"}
    assert (recorded["first_session"] == TODAY).all() and (recorded["last_session"] == TODAY).all()
    failed = recorded[~recorded["success"]]
    assert failed[["expectation", "column_name", "severity"]].values.tolist() == [
        ["expect_column_values_to_be_between", "security_change_pct", "critical"]
    ]
    assert failed["observed"].iloc[0].startswith("1 unexpected of 174 [e.g. 9")
    assert quarantined == [(DAY, "00700", "expect_column_values_to_be_between(security_change_pct)")]
    index = (quality.data_docs_dir() / "index.html").read_text()
    assert "spike_run" in index
