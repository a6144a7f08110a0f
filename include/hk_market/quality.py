"""Data quality gates on landing frames: one Great Expectations suite per dataset, written as rules in code.

validate() runs a dataset's suite on a landing frame and reports every expectation's outcome plus the rows
that broke a row-level expectation; raise_for_failures() turns critical failures into DataQualityError;
build_data_docs() adds a report to the Great Expectations Data Docs site (gx/data_docs/index.html beside
the landing zone). great_expectations takes seconds to import, so it is only imported when the first frame
is validated, or earlier by prepare_suites().
"""

from __future__ import annotations

import copy
import datetime as dt
import fcntl
import logging
import math
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import cache
from itertools import chain
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from hk_market import calendar, settings
from hk_market.datasets.macro import rules as macro
from hk_market.quality_rules import (
    CRITICAL,
    WARNING,
    DatasetRules,
    Related,
    Rule,
    columns_named,
    critical,
    label,
    warning,
)
from hk_market.sources import prices, short_selling, southbound

log = logging.getLogger(__name__)

INDEX_CODES = ("HSI", "HSCEI", "HSTECH")
# A day move beyond it is flagged, not failed: small stocks move more than 50 % on news often, and one such row
# must not stop the day for the other securities. Broken data is told from real moves by levels against the loaded
# history (PREV_CLOSE_TOLERANCE_PCT) and turnover against volume (TURNOVER_PRICE_TOLERANCE_PCT).
SECURITY_MOVE_LIMIT_PCT = 50
INDEX_MOVE_LIMIT_PCT = 15  # the Hang Seng indices' worst day since 1987 was -13.7 % (2008): beyond it is broken data
# prev_close must be the close already known for the previous session (loaded, or in the same frame), to this
# tolerance beyond PRICE_ROUNDING_HKD: a look-back row 30 % off, or a stock's prices x1e6 on both rows, fails.
# Yahoo's closes are split-adjusted: on a split's ex-date the look-back's close is the loaded one over the split's
# ratio, so against the loaded close prev_close is taken times the splits Yahoo declares (split_ratio) on the
# stock's rows from that day on; such a row is flagged (a warning), an undeclared mismatch still fails.
PREV_CLOSE_TOLERANCE_PCT = 1
PRICE_ROUNDING_HKD = 0.001  # HKEX's smallest price step: two prints of one close may differ by it
# A day's turnover over its volume (its average price) must lie within the day's [low, high], to this tolerance:
# yfinance's high and low are Yahoo's, HKEX's turnover also counts odd-lot trades, whose prices may stray a little.
# Turnover x1000, or 0 for a stock that traded, is far outside; an estimate (volume x typical price) is inside.
TURNOVER_PRICE_TOLERANCE_PCT = 5
TURNOVER_ROUNDING_HKD = 1  # HKEX prints turnover and short turnover to the whole HK$
# No southbound channel has traded HK$0.3 trillion in a day (the record, 2025, is under HK$0.2 trillion per
# channel): HK$1 trillion is far past any real day, and well inside the marts' DECIMAL(18, 2).
SOUTHBOUND_CEILING_HKD = 1e12
HONG_KONG = "Asia/Hong_Kong"
STOCK_CODE_PATTERN = r"^\d{5}$"
PRICE_CODE_PATTERN = r"^(?:\d{5}|HSI|HSCEI|HSTECH)$"  # securities and INDEX_CODES
EXAMPLES_SHOWN = 3
# Every expectation runs with BASIC results (counts, no row lists); the failed ones run again for their rows.
ROWS_LISTED_IN_SUMMARY = 1000  # flagged rows a SUMMARY result lists; more and their expectation is re-run
SUMMARY_FORMAT = {"result_format": "SUMMARY", "partial_unexpected_count": ROWS_LISTED_IN_SUMMARY}
# pandas dtype names a landed column may have for its LANDING_SCHEMA dtype (Parquet keeps datetimes in ms).
ACCEPTED_DTYPES = {
    "datetime64[s]": ["datetime64[s]", "datetime64[ms]", "datetime64[us]", "datetime64[ns]"],
    "string": ["StringDtype"],
}
DATA_DOCS_VALIDATIONS_LISTED = 30  # the index lists the latest (its cost grows with each one listed)


def _parameter(name: str) -> dict:
    """A value supplied per run (GE's $PARAMETER), so a dataset's suite is built once."""
    return {"$PARAMETER": name}


def _price_checks(landing: pd.DataFrame, related: Related) -> dict[str, pd.Series]:
    """Day moves (securities' and indices' apart, each with its own limit); each row's prev_close against the close
    already known for its previous session (in the frame, else loaded, through the splits Yahoo declared since);
    the declared splits; turnover against volume x the day's range."""
    prev_close = landing["prev_close"]
    change_pct = (landing["close"] / prev_close - 1) * 100
    is_index = landing["stock_code"].isin(INDEX_CODES)
    previous_day = _by_day(landing["trade_date"], _previous_session, np.datetime64("NaT", "s"))
    previous_close, loaded = _previous_close(landing, previous_day, related.history)
    # Against a loaded close, prev_close in the loaded close's scale: Yahoo divided it by the splits since.
    prev_close_as_loaded = prev_close.where(~loaded, prev_close * _splits_since(landing))
    split_ratio = landing["split_ratio"]
    # An index always has a previous close, but on the calendar's first session: one missing means the source
    # sent no look-back row, even on a first run into an empty warehouse, where no close is loaded to compare.
    known = previous_close.notna() | (is_index & previous_day.notna())
    return {
        "security_change_pct": change_pct.mask(is_index),
        "index_change_pct": change_pct.where(is_index),
        "stock_without_lookback_prev_close": landing["stock_code"].where(known & prev_close.isna()),
        "prev_close_off_previous_close_pct": _beyond_pct(
            prev_close_as_loaded, previous_close - PRICE_ROUNDING_HKD, previous_close + PRICE_ROUNDING_HKD
        ),
        "declared_split_ratio": split_ratio.where(split_ratio.notna() & (split_ratio != 1)),
        "turnover_price_beyond_day_range_pct": _beyond_day_range_pct(
            landing["turnover_hkd"], landing["volume"], landing["low"], landing["high"]
        ),
    }


def _by_day(days: pd.Series, value_of: Callable[[dt.date], object], missing) -> pd.Series:
    """value_of(day) for each row's day, computed once per distinct day (a few per frame); missing for a null day."""
    distinct = pd.DatetimeIndex(days.dropna().unique())
    values = np.array([*(value_of(day.date()) for day in distinct), missing])
    return pd.Series(values[distinct.get_indexer(days)], index=days.index)  # -1, a null day: the last, missing


def _previous_session(day: dt.date) -> np.datetime64:
    """The XHKG session before day; NaT for a day that is no session, or the calendar's first."""
    try:
        if calendar.is_session(day) and day != calendar.hk_calendar().first_session.date():
            return np.datetime64(calendar.previous_session(day), "s")
    except ValueError:  # outside the calendar's range: the calendar rule reports the day
        pass
    return np.datetime64("NaT", "s")


def _previous_close(landing: pd.DataFrame, previous_day: pd.Series, history: pd.DataFrame | None
                    ) -> tuple[pd.Series, pd.Series]:
    """Each row's stock's close on previous_day: the frame's row of that session, else the history's (loaded); and
    whether it is the history's."""
    keys = pd.DataFrame({"trade_date": previous_day, "stock_code": landing["stock_code"]})
    in_frame = _lookup(landing[["trade_date", "stock_code", "close"]], keys, ["close"])["close"]
    if history is None or not len(history):
        return in_frame, pd.Series(False, index=landing.index)
    loaded = _lookup(history[["trade_date", "stock_code", "close"]], keys, ["close"])["close"]
    from_history = in_frame.isna() & loaded.notna()
    return in_frame.where(~from_history, loaded), from_history


def _splits_since(landing: pd.DataFrame) -> pd.Series:
    """The product of the split ratios Yahoo declared on each row's stock's rows of the frame from the row's session
    on (1 where none): Yahoo re-scales every close before a split's ex-date, so a row's look-back close is the loaded
    close over it. Within a frame every close is scaled alike, so only a close loaded earlier needs it."""
    ratio = landing["split_ratio"].fillna(1.0)
    if (ratio == 1).all():
        return ratio
    rows = pd.DataFrame({"trade_date": landing["trade_date"], "stock_code": landing["stock_code"], "ratio": ratio})
    latest_first = rows.sort_values("trade_date", ascending=False, kind="stable")
    return latest_first.groupby("stock_code", sort=False, dropna=False)["ratio"].cumprod().reindex(landing.index)


def _lookup(table: pd.DataFrame, keys: pd.DataFrame, columns: list[str]) -> dict[str, pd.Series]:
    """For each keys row, columns of table's first row with the same (trade_date, stock_code), null where it has none.

    Both key columns are coded alike and each (trade_date, stock_code) becomes a cell of a days x stocks grid: a
    join cheaper than merge, for millions of rows.
    """
    names = ["trade_date", "stock_code"]
    table = table[table["trade_date"].notna() & table["stock_code"].notna()]
    both = pd.concat([table[names], keys[names]], ignore_index=True)
    (days, all_days), (stocks, all_stocks) = (pd.factorize(both[name], use_na_sentinel=False) for name in names)
    pairs = days * len(all_stocks) + stocks
    first = np.full(len(all_days) * len(all_stocks), -1)
    cells, rows = np.unique(pairs[: len(table)], return_index=True)  # each cell's first table row
    first[cells] = rows  # -1 where table has none
    found = first[pairs[len(table) :]]
    return {
        column: table[column].astype("float64").reset_index(drop=True).reindex(found).set_axis(keys.index)
        for column in columns
    }


def _beyond_pct(value: pd.Series, floor: pd.Series, ceiling: pd.Series) -> pd.Series:
    """How far value lies outside [floor, ceiling], in percent of the bound it passed: 0 inside, +100 for twice the
    ceiling, -100 for zero under a positive floor; null where any is null."""
    above = (value - ceiling) / ceiling * 100
    below = (value - floor) / floor * 100
    beyond = above.where(value > ceiling, below.where(value < floor, 0.0))
    return beyond.where(value.notna() & floor.notna() & ceiling.notna())


def _beyond_day_range_pct(amount: pd.Series, shares: pd.Series, low: pd.Series, high: pd.Series) -> pd.Series:
    """How far an amount traded lies outside shares x the day's [low, high] (to HKEX's printed rounding), in
    percent: an amount for no shares, or none for many, is far outside. Null for a negative amount or share count,
    which its own rule reports."""
    beyond = _beyond_pct(amount, shares * low - TURNOVER_ROUNDING_HKD, shares * high + TURNOVER_ROUNDING_HKD)
    return beyond.where((amount >= 0) & (shares >= 0))


def _short_selling_checks(landing: pd.DataFrame, related: Related) -> dict[str, pd.Series]:
    """The stock's day volume and the most it can have traded for (volume x high), and how far the short sales'
    average price lies outside its day range, from the prices of the stock's first row that day.

    prices' turnover_hkd may be an estimate (volume x typical price: live before HKEX publishes its own, GEM) that
    a stock's real turnover, and so its short turnover, may exceed; its volume and day range bound both. Null where
    no prices are given or they have no row for the stock.
    """
    wanted = ["trade_date", "stock_code", "volume", "high", "low"]
    prices = related.prices.reindex(columns=wanted) if related.prices is not None else pd.DataFrame(columns=wanted)
    day = _lookup(prices, landing, ["volume", "high", "low"])
    shares, amount = landing["short_shares"], landing["short_turnover_hkd"]
    return {
        "max_turnover_hkd": day["volume"] * day["high"],
        "day_volume": day["volume"],
        "short_price_beyond_day_range_pct": _beyond_day_range_pct(amount, shares, day["low"], day["high"]),
    }


def _unbalanced_turnover(landing: pd.DataFrame, _related: Related) -> dict[str, pd.Series]:
    """HKEX's Total Turnover less Buy + Sell: zero, to the printed rounding, when the file agrees with itself."""
    return {"total_minus_buy_and_sell_hkd": landing["total_turnover_hkd"] - (landing["buy_hkd"] + landing["sell_hkd"])}


def _at_least_zero(*columns: str) -> tuple[Rule, ...]:
    return tuple(
        critical("ExpectColumnValuesToBeBetween", f"{column} is not negative", column=column, min_value=0)
        for column in columns
    )


def _within(column: str, limit: float, meaning: str, rule: Callable[..., Rule] = critical) -> Rule:
    """column lies within [-limit, limit]."""
    return rule("ExpectColumnValuesToBeBetween", meaning, column=column, min_value=-limit, max_value=limit)


PRICE_COLUMNS = ("open", "high", "low", "close", "prev_close")
PRICE_ORDER = (("high", "open"), ("high", "close"), ("open", "low"), ("close", "low"))  # (A, B): A >= B
SOUTHBOUND_AMOUNTS = ("buy_hkd", "sell_hkd")

DATASETS: dict[str, DatasetRules] = {
    "prices": DatasetRules(
        landing_schema=prices.LANDING_SCHEMA,
        key=("trade_date", "stock_code"),
        required=("trade_date", "stock_code", "open", "high", "low", "close"),
        min_rows_per_session=20,
        universe_share=0.8,  # yfinance drops a few tickers and suspended stocks have no bar
        rules=(
            critical(
                "ExpectColumnDistinctValuesToContainSet",
                "each session has the three indices",
                column="stock_code",
                value_set=list(INDEX_CODES),
            ),
            *(
                critical(
                    "ExpectColumnValuesToBeBetween", f"{column} is above zero", column=column, min_value=0,
                    strict_min=True,
                )
                for column in PRICE_COLUMNS
            ),
            *_at_least_zero("volume", "turnover_hkd"),
            *(
                critical(
                    "ExpectColumnPairValuesAToBeGreaterThanB",
                    f"{higher} is at least {lower}",
                    column_A=higher,
                    column_B=lower,
                    or_equal=True,
                    ignore_row_if="either_value_is_missing",
                )
                for higher, lower in PRICE_ORDER
            ),
            critical(
                "ExpectColumnValuesToMatchRegex",
                "a five-digit stock code or an index code",
                column="stock_code",
                regex=PRICE_CODE_PATTERN,
            ),
            critical(
                "ExpectColumnValuesToBeNull",
                "a stock with a close on the previous session (in the same frame or loaded) has a prev_close, and "
                "an index always does: a missing look-back row would leave every change_pct NULL",
                column="stock_without_lookback_prev_close",
            ),
            critical(
                "ExpectColumnValuesToBeBetween", "split_ratio is above zero", column="split_ratio", min_value=0,
                strict_min=True,
            ),
            _within(
                "prev_close_off_previous_close_pct",
                PREV_CLOSE_TOLERANCE_PCT,
                f"prev_close is the close of the previous session already loaded (or in the same frame), within "
                f"{PREV_CLOSE_TOLERANCE_PCT} % beyond HK${PRICE_ROUNDING_HKD} of rounding: a look-back 30 % off, "
                f"or a stock's prices scaled on both rows, fails. Against a loaded close, prev_close is taken times "
                f"the split_ratio Yahoo declares on the stock's row (its Close is split-adjusted: on an ex-date the "
                f"look-back's close is the loaded one over the ratio), so a declared split passes, flagged by the "
                f"next rule; the same mismatch undeclared fails",
            ),
            warning(
                "ExpectColumnValuesToBeNull",
                "no split, consolidation or bonus issue declared: a row with one Yahoo declares (its ratio, 2.0 for "
                "a 2-for-1 split) is flagged and listed in audit.quarantine_prices, and the day loads; its "
                "prev_close is in the new shares' scale, unlike the close loaded for the session before",
                column="declared_split_ratio",
            ),
            _within(
                "turnover_price_beyond_day_range_pct",
                TURNOVER_PRICE_TOLERANCE_PCT,
                f"turnover lies within volume x the day's [low, high], within {TURNOVER_PRICE_TOLERANCE_PCT} %: "
                f"turnover 0 for a stock that traded, turnover x1000, or prices scaled against HKEX's turnover "
                f"fail (an estimate is inside by construction)",
            ),
            _within(
                "security_change_pct",
                SECURITY_MOVE_LIMIT_PCT,
                f"a security moves at most {SECURITY_MOVE_LIMIT_PCT} % in a day: a bigger move is flagged and its "
                f"row listed in audit.quarantine_prices, and the day loads (small stocks do move that much on news)",
                warning,
            ),
            _within(
                "index_change_pct",
                INDEX_MOVE_LIMIT_PCT,
                f"an index moves at most {INDEX_MOVE_LIMIT_PCT} % in a day",
            ),
        ),
        derived_columns=_price_checks,
    ),
    "short_selling": DatasetRules(
        landing_schema=short_selling.LANDING_SCHEMA,
        key=("trade_date", "stock_code"),
        required=("trade_date", "stock_code", "short_shares", "short_turnover_hkd"),
        min_rows_per_session=10,
        universe_share=0.2,  # about a third of HKEX's securities are short sold on a day
        rules=(
            *_at_least_zero("short_shares", "short_turnover_hkd"),
            critical(
                "ExpectColumnValuesToMatchRegex", "a five-digit stock code", column="stock_code",
                regex=STOCK_CODE_PATTERN,
            ),
            critical(
                "ExpectColumnPairValuesAToBeGreaterThanB",
                "short turnover is at most the stock's day volume x its high (from its prices)",
                column_A="max_turnover_hkd",
                column_B="short_turnover_hkd",
                or_equal=True,
                ignore_row_if="either_value_is_missing",
            ),
            critical(
                "ExpectColumnPairValuesAToBeGreaterThanB",
                "short shares are at most the stock's day volume (from its prices)",
                column_A="day_volume",
                column_B="short_shares",
                or_equal=True,
                ignore_row_if="either_value_is_missing",
            ),
            _within(
                "short_price_beyond_day_range_pct",
                TURNOVER_PRICE_TOLERANCE_PCT,
                f"short turnover lies within short shares x the stock's day [low, high], within "
                f"{TURNOVER_PRICE_TOLERANCE_PCT} %: HK$557 million for 100 shares, or for none, fails",
            ),
        ),
        derived_columns=_short_selling_checks,
    ),
    "southbound": DatasetRules(
        landing_schema=southbound.LANDING_SCHEMA,
        key=("trade_date", "channel"),
        required=("trade_date", "channel", "buy_hkd", "sell_hkd", "total_turnover_hkd"),
        min_rows_per_session=2,  # with one row per channel and two channels: exactly 2
        universe_share=None,
        rules=(
            critical(
                "ExpectColumnValuesToBeInSet", "a southbound channel, SSE or SZSE", column="channel",
                value_set=["SSE", "SZSE"],
            ),
            *(
                critical(
                    "ExpectColumnValuesToBeBetween",
                    f"{column} is finite, not negative, and under HK${SOUTHBOUND_CEILING_HKD:,.0f} a channel a day",
                    column=column,
                    min_value=0,
                    max_value=SOUTHBOUND_CEILING_HKD,
                )
                for column in SOUTHBOUND_AMOUNTS
            ),
            critical(
                "ExpectColumnValuesToBeBetween",
                f"a channel trades on a southbound trading day: its total turnover is above zero (and under "
                f"HK${SOUTHBOUND_CEILING_HKD:,.0f})",
                column="total_turnover_hkd",
                min_value=0,
                strict_min=True,
                max_value=SOUTHBOUND_CEILING_HKD,
            ),
            # Total = Buy + Sell (each printed to HK$0.01 million), or net buy = Buy - Sell cannot be trusted.
            _within(
                "total_minus_buy_and_sell_hkd",
                southbound.PRINTED_UNIT_HKD,
                "HKEX's Total Turnover is Buy + Sell, to the printed HK$0.01 million",
            ),
        ),
        derived_columns=_unbalanced_turnover,
    ),
    "macro": macro.RULES,
}


def suite_rules(dataset: str) -> tuple[Rule, ...]:
    """Every rule of a dataset's suite: the shared ones, then the dataset's own."""
    spec = _dataset_rules(dataset)
    return (
        critical(
            "ExpectTableColumnsToMatchSet", "the landing columns are all there", column_set=list(spec.landing_schema),
            exact_match=False,
        ),
        *(
            critical(
                "ExpectColumnValuesToBeInTypeList", f"{column} is of its landing type ({dtype})", column=column,
                type_list=ACCEPTED_DTYPES.get(dtype, [dtype]),
            )
            for column, dtype in spec.landing_schema.items()
        ),
        *(critical("ExpectColumnValuesToNotBeNull", f"{column} is present", column=column) for column in spec.required),
        critical(
            "ExpectCompoundColumnsToBeUnique", f"one row per {', '.join(spec.key)}", column_list=list(spec.key)
        ),
        critical(
            "ExpectColumnValuesToBeNull",
            "every trade_date is an HKEX session (XHKG calendar)",
            column="trade_date_not_a_session",
        ),
        critical(
            "ExpectColumnValuesToBeNull",
            "no trade_date is after today in Hong Kong",
            column="trade_date_after_today_hk",
        ),
        critical(
            "ExpectColumnValuesToBeInSet", "every row is of a session the run asked for", column="trade_date",
            value_set=_parameter("sessions"),
        ),
        critical(
            "ExpectColumnDistinctValuesToContainSet",
            "every session the run expects has rows",
            column="trade_date",
            value_set=_parameter("expected_sessions"),
        ),
        critical(
            "ExpectColumnValuesToBeBetween",
            "each session has enough rows (a share of the reference universe)",
            column="session_rows",
            min_value=_parameter("min_rows"),
        ),
        *spec.rules,
    )


def _dataset_rules(dataset: str) -> DatasetRules:
    try:
        return DATASETS[dataset]
    except KeyError:
        raise ValueError(f"unknown dataset {dataset!r}: expected one of {', '.join(DATASETS)}") from None


@dataclass(frozen=True)
class ExpectationOutcome:
    """How one expectation fared; observed is short and human readable."""

    expectation: str
    column: str | None
    severity: str
    success: bool
    observed: str

    @property
    def label(self) -> str:
        """The expectation and its column(s), e.g. expect_column_values_to_be_between(close)."""
        return label(self.expectation, self.column)


@dataclass
class ValidationReport:
    """Outcome of validating one landing frame.

    failing_rows: the frame's rows (its index kept) that broke a row-level expectation, critical or
    warning, with the landing columns and 'expectation' naming what each broke ('; ' between several).
    """

    dataset: str
    sessions: list[dt.date]
    outcomes: list[ExpectationOutcome]
    failing_rows: pd.DataFrame
    suite_result: object = None  # Great Expectations' ExpectationSuiteValidationResult, for Data Docs

    @property
    def success(self) -> bool:
        """No critical expectation failed."""
        return not self.critical_failures

    @property
    def critical_failures(self) -> list[ExpectationOutcome]:
        return self._failures(CRITICAL)

    @property
    def warnings(self) -> list[ExpectationOutcome]:
        return self._failures(WARNING)

    def _failures(self, severity: str) -> list[ExpectationOutcome]:
        return [outcome for outcome in self.outcomes if not outcome.success and outcome.severity == severity]


class DataQualityError(Exception):
    """Critical expectations failed; the message names dataset, day(s) and each failure's observed value."""

    def __init__(self, dataset: str, sessions: list[dt.date], failures: list[ExpectationOutcome]):
        self.dataset = dataset
        self.sessions = sessions
        self.failures = failures
        noun = "expectation" if len(failures) == 1 else "expectations"
        details = "; ".join(f"{failure.label} {failure.observed}" for failure in failures)
        days = describe_days(sessions)
        super().__init__(f"{dataset} {days}: {len(failures)} critical {noun} failed: {details}")


def describe_days(sessions: list[dt.date]) -> str:
    """'2024-11-14', or '2024-11-11 to 2024-11-15 (5 sessions)' for several."""
    if not sessions:
        return "(no sessions)"
    if len(sessions) == 1:
        return sessions[0].isoformat()
    return f"{min(sessions).isoformat()} to {max(sessions).isoformat()} ({len(sessions)} sessions)"


def validate(
    dataset: str,
    frame: pd.DataFrame,
    sessions: list[dt.date],
    *,
    expected_sessions: list[dt.date] | None = None,
    universe_size: int | None = None,
    prices: pd.DataFrame | None = None,
    history: pd.DataFrame | None = None,
) -> ValidationReport:
    """Run the dataset's suite on a landing frame of the given sessions.

    trade_date must lie within sessions; each of expected_sessions (default: all of sessions) must have
    enough rows: the dataset's share of universe_size (the reference universe's securities), or its
    fixed minimum when no size is given. Pass expected_sessions=[] for a day with no data, e.g.
    southbound on a day Stock Connect is shut. prices (the landed prices of the same sessions) lets
    short selling be checked against each stock's volume and day range; history (trade_date, stock_code, close
    already loaded for the session before the first) lets prices' prev_close be checked against it. Failures
    are reported, never raised.
    """
    spec = _dataset_rules(dataset)
    checked = frame.reset_index(drop=True)  # row labels become positions into frame
    checked = checked.assign(**_derived_columns(spec, checked, Related(prices=prices, history=history)))
    parameters = {
        "sessions": _timestamps(sessions),
        "expected_sessions": _timestamps(sessions if expected_sessions is None else expected_sessions),
        "min_rows": _min_rows_per_session(spec, universe_size),
    }
    validation = _validation_definition(dataset)
    validator = _validator(validation, checked)
    suite_result = _run(validation, validator, parameters)
    order = {expectation.id: position for position, expectation in enumerate(validation.suite.expectations)}
    results = sorted(suite_result.results, key=lambda result: order[result.expectation_config.id])  # GE reorders
    results = suite_result.results = _summarised_failures(validator, dataset, parameters, results)
    outcomes = [_outcome(result) for result in results]
    broken = _broken_rows(validator, dataset, parameters, zip(results, outcomes, strict=True))
    if len(sessions) > 1:  # a chunk's error names the days its rows broke on, not the chunk alone
        outcomes = [_on_days(outcome, checked["trade_date"], broken.get(outcome.label)) for outcome in outcomes]
    report = ValidationReport(
        dataset=dataset,
        sessions=list(sessions),
        outcomes=outcomes,
        failing_rows=_failing_rows(frame, list(spec.landing_schema), broken),
        suite_result=suite_result,
    )
    for outcome in report.warnings:
        log.warning("%s %s: %s %s", dataset, describe_days(report.sessions), outcome.label, outcome.observed)
    return report


def _on_days(outcome: ExpectationOutcome, days: pd.Series, rows: list[int] | None) -> ExpectationOutcome:
    """The outcome with the sessions of the rows it flagged after its observed text: '... on 2024-11-14', or
    '... on 2024-11-14, 2024-11-15 and 3 more sessions'."""
    if not rows:
        return outcome
    flagged = sorted(pd.DatetimeIndex(days.iloc[rows].dropna().unique()).date)
    if not flagged:
        return outcome
    named = ", ".join(day.isoformat() for day in flagged[:EXAMPLES_SHOWN])
    more = f" and {len(flagged) - EXAMPLES_SHOWN} more sessions" if len(flagged) > EXAMPLES_SHOWN else ""
    return replace(outcome, observed=f"{outcome.observed} on {named}{more}")


def raise_for_failures(report: ValidationReport) -> None:
    """Raise DataQualityError if any critical expectation failed."""
    if not report.success:
        raise DataQualityError(report.dataset, report.sessions, report.critical_failures)


def _timestamps(days: list[dt.date]) -> list[pd.Timestamp]:
    """Days as midnight Timestamps, comparable with the datetime64 trade_date column."""
    return [pd.Timestamp(day) for day in days]


def _min_rows_per_session(spec: DatasetRules, universe_size: int | None) -> int:
    if universe_size is None or spec.universe_share is None:
        return spec.min_rows_per_session
    return math.ceil(spec.universe_share * universe_size)


def _derived_columns(spec: DatasetRules, frame: pd.DataFrame, related: Related) -> dict[str, pd.Series]:
    """Helper columns some expectations check; a missing landing column, or one of the wrong type, yields nulls
    here, not an error (the column-set and type expectations report it)."""
    landing = frame.reindex(columns=list(spec.landing_schema))
    for column, dtype in spec.landing_schema.items():
        if dtype.startswith("datetime64") and not pd.api.types.is_datetime64_any_dtype(landing[column]):
            landing[column] = pd.to_datetime(landing[column], errors="coerce")
        elif dtype in ("float64", "int64") and not pd.api.types.is_numeric_dtype(landing[column]):
            landing[column] = pd.to_numeric(landing[column], errors="coerce")
    days = landing["trade_date"]
    session_rows = days.map(days.value_counts())
    derived = spec.derived_columns(landing, related) if spec.derived_columns else {}
    return {
        "session_rows": session_rows,
        "trade_date_not_a_session": days.where(~_by_day(days, _in_calendar, False).astype(bool)),
        "trade_date_after_today_hk": days.where(days > pd.Timestamp(dt.datetime.now(ZoneInfo(HONG_KONG)).date())),
        **derived,
    }


def _in_calendar(day: dt.date) -> bool:
    """Whether the day is an XHKG session (a day outside the calendar's range is not)."""
    try:
        return calendar.is_session(day)
    except ValueError:  # outside the calendar's range
        return False


@cache
def _context():
    """One ephemeral GE context per process, progress bars off."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    return context


def _suite(dataset: str):
    """The dataset's rules as a new gx.ExpectationSuite."""
    import great_expectations as gx

    expectations = [
        getattr(gx.expectations, rule.expectation)(**rule.kwargs, severity=rule.severity)
        for rule in suite_rules(dataset)
    ]
    return gx.ExpectationSuite(name=dataset, expectations=expectations)


def prepare_suites(datasets: tuple[str, ...]) -> None:
    """Import Great Expectations and register the datasets' suites now (seconds), e.g. while their frames are
    extracted, rather than when the first frame is validated."""
    for dataset in datasets:
        _validation_definition(dataset)


@cache
def _validation_definition(dataset: str):
    """The dataset's suite on whole pandas frames, registered once in the process's context."""
    import great_expectations as gx

    context = _context()
    asset = context.data_sources.add_pandas(f"{dataset}_landing").add_dataframe_asset(dataset)
    suite = context.suites.add(_suite(dataset))
    return context.validation_definitions.add(
        gx.ValidationDefinition(
            name=dataset, data=asset.add_batch_definition_whole_dataframe(dataset), suite=suite
        )
    )


def _validator(validation, frame: pd.DataFrame):
    """A validator of the frame through validation's batch definition, as validation.run() makes: it loads (and
    fingerprints) the frame once, for the validation and any re-runs of its expectations."""
    from great_expectations.validator.v1_validator import Validator

    return Validator(
        batch_definition=validation.batch_definition, batch_parameters={"dataframe": frame}, result_format="BASIC"
    )


def _run(validation, validator, parameters: dict):
    """What validation.run() returns, meta and all, less its work we do not use: checking that the suite is
    registered unchanged, and storing the result as JSON in the context (build_data_docs stores what it renders)."""
    from great_expectations.constants import DATAFRAME_REPLACEMENT_STR
    from great_expectations.core.run_identifier import RunIdentifier

    suite_result = _validate_suite(validator, validation.suite, parameters)
    run_id = RunIdentifier(run_time=dt.datetime.now(dt.UTC))
    suite_result.meta.update(
        validation_id=validation.id,
        checkpoint_id=None,
        run_id=run_id,
        validation_time=run_id.run_time,
        batch_parameters={"dataframe": DATAFRAME_REPLACEMENT_STR},
    )
    return suite_result


def data_docs_dir() -> Path:
    """The Data Docs site: gx/data_docs/ beside the landing zone (the project's gx/ by default)."""
    return _gx_dir() / "data_docs"


def _gx_dir() -> Path:
    return settings.landing_dir().parent / "gx"


_documented_suites: set[tuple[Path, str]] = set()  # (gx folder, dataset) whose suite this process rendered


def build_data_docs(report: ValidationReport, run_id: str) -> Path:
    """Keep the report's result under gx/validations/ and add its page to the Data Docs site.

    Renders the new result's page, the dataset's suite (once per process) and the index, which lists
    the DATA_DOCS_VALIDATIONS_LISTED latest validations: a run's cost does not grow with history, and
    every page stays on disk. The site is a view of audit.validation_results, so a failure to build it
    is logged, not raised. Returns index.html.
    """
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )

    root = _gx_dir()
    root.mkdir(parents=True, exist_ok=True)
    suite = ExpectationSuiteIdentifier(name=report.dataset)
    key = ValidationResultIdentifier(
        expectation_suite_identifier=suite,
        run_id=RunIdentifier(run_name=_file_name(run_id), run_time=dt.datetime.now(dt.UTC)),
        batch_identifier="_".join(sorted({min(report.sessions).isoformat(), max(report.sessions).isoformat()})),
    )
    with (root / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # builders in other processes share index.html
        try:
            context = _docs_context(root)
            rendered = [key]
            if (root, report.dataset) not in _documented_suites:
                context.suites.add_or_update(_suite(report.dataset))
                rendered.append(suite)
            context.validation_results_store.set(key, report.suite_result)
            context.build_data_docs(resource_identifiers=rendered)
            _documented_suites.add((root, report.dataset))
        except Exception:
            log.exception("%s %s: Data Docs not updated in %s", report.dataset, describe_days(report.sessions), root)
    return data_docs_dir() / "index.html"


def _file_name(run_id: str) -> str:
    """The run id as one safe path segment (it names a directory under gx/)."""
    return re.sub(r"[^A-Za-z0-9_.:+-]+", "_", run_id).lstrip(".") or "run"


def _docs_context(root: Path):
    """An ephemeral GE context whose suites, validation results and Data Docs site are files under root."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import DataContextConfig, ProgressBarsConfig

    def files(directory: str) -> dict:
        return {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(root / directory)}

    in_memory = {"class_name": "InMemoryStoreBackend"}
    config = DataContextConfig(
        stores={
            "expectations_store": {"class_name": "ExpectationsStore", "store_backend": files("expectations")},
            "validation_results_store": {"class_name": "ValidationResultsStore", "store_backend": files("validations")},
            "checkpoint_store": {"class_name": "CheckpointStore", "store_backend": in_memory},
            "validation_definition_store": {"class_name": "ValidationDefinitionStore", "store_backend": in_memory},
        },
        expectations_store_name="expectations_store",
        validation_results_store_name="validation_results_store",
        checkpoint_store_name="checkpoint_store",
        data_docs_sites={
            "local_site": {
                "class_name": "SiteBuilder",
                "show_how_to_buttons": False,
                "store_backend": files("data_docs"),
                "site_index_builder": {
                    "class_name": "DefaultSiteIndexBuilder",
                    "validation_results_limit": DATA_DOCS_VALIDATIONS_LISTED,
                },
            }
        },
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False),
    )
    return gx.get_context(project_config=config, mode="ephemeral")


def _outcome(result) -> ExpectationOutcome:
    config = result.expectation_config
    return ExpectationOutcome(
        expectation=config.type,
        column=columns_named(config.kwargs),
        severity=config.severity.value,
        success=bool(result.success),
        observed=_observed(result),
    )


def _observed(result) -> str:
    """e.g. '3 unexpected of 150 [e.g. -1.0]', '1 missing [e.g. 2024-11-15]', 'missing close, volume'."""
    error = _exception_message(result.exception_info or {})
    if error:
        return error
    summary = result.result
    if "unexpected_count" in summary:
        text = f"{summary['unexpected_count']} unexpected of {summary['element_count']}"
        examples = [count["value"] for count in summary.get("partial_unexpected_counts", [])]
    elif "missing_count" in summary:  # values expected among the column's distinct values
        text = f"{summary['missing_count']} missing"
        examples = summary["partial_missing_list"]
    elif "details" in summary:  # the column set; extra columns are allowed
        missing = summary["details"]["mismatched"].get("missing")
        return f"missing {', '.join(missing)}" if missing else "none missing"
    else:
        return _display(summary.get("observed_value"))
    shown = [_display(value) for value in examples if not _is_null(value)][:EXAMPLES_SHOWN]
    return f"{text} [e.g. {', '.join(shown)}]" if shown else text


def _exception_message(exception_info: dict) -> str | None:
    """GE gives either one {raised_exception, exception_message} or a dict of them keyed by metric."""
    infos = [exception_info] if "raised_exception" in exception_info else list(exception_info.values())
    return next((info["exception_message"] for info in infos if info.get("raised_exception")), None)


def _display(value) -> str:
    if isinstance(value, tuple | list):
        return f"({', '.join(_display(item) for item in value)})"
    if isinstance(value, pd.Timestamp) and value == value.normalize():
        return value.date().isoformat()
    if isinstance(value, float):
        return str(round(value, 6))
    return str(value)


def _is_null(value) -> bool:
    return not isinstance(value, tuple | list) and bool(pd.isna(value))


def _summarised_failures(validator, dataset: str, parameters: dict, results: list) -> list:
    """The results, each failed one replaced by its SUMMARY result: examples and up to ROWS_LISTED_IN_SUMMARY
    flagged rows (a passed one flags none, so its BASIC result says all there is)."""
    failed = [result for result in results if not result.success]
    if not failed:
        return results
    summaries = {
        _result_label(summary): summary
        for summary in _rerun(validator, dataset, parameters, failed, dict(SUMMARY_FORMAT))  # GE fills it in
    }
    return [summaries.get(_result_label(result), result) for result in results]


def _broken_rows(validator, dataset: str, parameters: dict, results_and_outcomes) -> dict[str, list[int]]:
    """Positions of the rows each failed row-level expectation flagged, keyed by the outcome's label.

    The SUMMARY run lists up to ROWS_LISTED_IN_SUMMARY flagged rows per expectation; only expectations
    that flagged more are run again, to list them all.
    """
    flagged = [
        (result, outcome)
        for result, outcome in results_and_outcomes
        if not outcome.success and "partial_unexpected_index_list" in result.result
    ]
    listed = {outcome.label: result.result["partial_unexpected_index_list"] for result, outcome in flagged}
    unlisted = [result for result, outcome in flagged if result.result["unexpected_count"] > len(listed[outcome.label])]
    if not unlisted:
        return listed
    complete = _rerun(validator, dataset, parameters, unlisted, "COMPLETE")
    return listed | {_result_label(result): result.result["unexpected_index_list"] for result in complete}


def _rerun(validator, dataset: str, parameters: dict, results: list, result_format) -> list:
    """The results' expectations run again on the validator's frame (already loaded), with a more detailed
    result format."""
    import great_expectations as gx

    expectations = _expectations_by_label(dataset)
    suite = gx.ExpectationSuite(  # copies: an expectation belongs to one suite
        name=f"{dataset}_rerun",
        expectations=[copy.copy(expectations[_result_label(result)]) for result in results],
    )
    validator.result_format = result_format
    return _validate_suite(validator, suite, parameters).results


_built = threading.local()  # .configurations: {id(expectation): (expectation, its configuration)} while one runs


def _validate_suite(validator, suite, parameters: dict):
    """validator.validate_expectation_suite(), each expectation building its configuration once.

    GE 1.24 rebuilds an Expectation's configuration from its pydantic fields on every read of the property,
    about 80 reads per expectation per run: a quarter of a clean validation's CPU. The expectations GE makes
    for a run are not changed during it, and are kept alive in this thread's cache, so their ids stay theirs.
    """
    _cache_configurations()
    outer, _built.configurations = getattr(_built, "configurations", None), {}
    try:
        return validator.validate_expectation_suite(suite, parameters)
    finally:
        _built.configurations = outer


@cache
def _cache_configurations() -> None:
    """Make Expectation.configuration read the running suite's cache (_validate_suite), if any."""
    from great_expectations.expectations.expectation import Expectation

    build = Expectation.configuration.fget

    def configuration(expectation):
        built = getattr(_built, "configurations", None)
        if built is None:
            return build(expectation)
        if id(expectation) not in built:
            built[id(expectation)] = (expectation, build(expectation))
        return built[id(expectation)][1]

    Expectation.configuration = property(configuration, doc=Expectation.configuration.__doc__)


@cache
def _expectations_by_label(dataset: str) -> dict:
    """The dataset's registered expectations by label, which finds a result's (a rerun's results have no ids)."""
    return {
        label(expectation.expectation_type, columns_named(expectation.configuration.kwargs)): expectation
        for expectation in _validation_definition(dataset).suite.expectations
    }


def _result_label(result) -> str:
    config = result.expectation_config
    return label(config.type, columns_named(config.kwargs))


def _failing_rows(
    frame: pd.DataFrame, landing_columns: list[str], broken: dict[str, list[int]]
) -> pd.DataFrame:
    """The frame's broken rows, landing columns only, each with the expectation(s) it broke."""
    counts = [len(rows) for rows in broken.values()]
    positions = np.fromiter(chain.from_iterable(broken.values()), dtype=np.int64, count=sum(counts))
    broke = pd.Series(list(broken), dtype=object).repeat(counts).groupby(positions).agg("; ".join)
    columns = [column for column in landing_columns if column in frame.columns]
    return frame.iloc[broke.index.to_numpy()][columns].assign(expectation=broke.to_numpy())
