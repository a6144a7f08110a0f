"""The quality rules' shared parts: a rule, what a dataset's rules are (DatasetRules), the rules every dataset's
suite shares, and the lookup of a dataset's rules (each in its folder, hk_market/datasets/<name>/rules.py).

quality runs them as a Great Expectations suite; the data dictionary lists them.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from hk_market import registry

CRITICAL = "critical"
WARNING = "warning"
# A day's turnover over its volume (its average price) must lie within the day's [low, high], to this tolerance:
# yfinance's high and low are Yahoo's, HKEX's turnover also counts odd-lot trades, whose prices may stray a little.
# Turnover x1000, or 0 for a stock that traded, is far outside; an estimate (volume x typical price) is inside.
TURNOVER_PRICE_TOLERANCE_PCT = 5
TURNOVER_ROUNDING_HKD = 1  # HKEX prints turnover and short turnover to the whole HK$
STOCK_CODE_PATTERN = r"^\d{5}$"
# pandas dtype names a landed column may have for its LANDING_SCHEMA dtype (Parquet keeps datetimes in ms).
ACCEPTED_DTYPES = {
    "datetime64[s]": ["datetime64[s]", "datetime64[ms]", "datetime64[us]", "datetime64[ns]"],
    "string": ["StringDtype"],
}


@dataclass(frozen=True)
class Rule:
    """One expectation of a suite: a gx.expectations class name, its arguments, its severity, and what it stops
    in the project's words (the data dictionary lists it)."""

    expectation: str
    kwargs: dict
    severity: str
    meaning: str = ""

    @property
    def label(self) -> str:
        """As ExpectationOutcome.label names it, e.g. expect_column_values_to_be_between(close)."""
        return label(_snake_case(self.expectation), expectation_columns(self.kwargs))


def critical(expectation: str, meaning: str = "", **kwargs) -> Rule:
    """A rule whose failure stops the load."""
    return Rule(expectation, kwargs, CRITICAL, meaning)


def warning(expectation: str, meaning: str = "", **kwargs) -> Rule:
    """A rule whose failure is reported, its rows quarantined (listed), but lets the load go on."""
    return Rule(expectation, kwargs, WARNING, meaning)


def _snake_case(name: str) -> str:
    """ExpectColumnValuesToBeBetween -> expect_column_values_to_be_between."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _parameter(name: str) -> dict:
    """A value supplied per run (GE's $PARAMETER), so a dataset's suite is built once."""
    return {"$PARAMETER": name}


@dataclass(frozen=True)
class Related:
    """What a frame is checked against beyond itself.

    prices: the landed prices of the same sessions (short selling's volume and day range);
    history: the closes already loaded for sessions before the frame's (trade_date, stock_code, close), which
    each row's prev_close must agree with.
    """

    prices: pd.DataFrame | None = None
    history: pd.DataFrame | None = None


DerivedColumns = Callable[[pd.DataFrame, Related], dict[str, pd.Series]]


@dataclass(frozen=True)
class DatasetRules:
    """What a dataset's landing frame must satisfy, on top of the rules every dataset shares.

    Each session must hold at least universe_share of the reference universe's size in rows, when the
    caller gives that size, else min_rows_per_session. derived_columns(landing, related) adds the helper
    columns some rules check.
    """

    landing_schema: Mapping[str, str]
    key: tuple[str, ...]  # one row per key
    required: tuple[str, ...]  # columns that must not be null
    min_rows_per_session: int
    universe_share: float | None
    rules: tuple[Rule, ...]
    derived_columns: DerivedColumns | None = None


def label(expectation: str, column: str | None) -> str:
    """An expectation and its column(s), e.g. expect_column_values_to_be_between(close)."""
    return f"{expectation}({column})" if column else expectation


def expectation_columns(kwargs: dict) -> str | None:
    """The column(s) an expectation's arguments name, ', ' between several."""
    names = [kwargs[key] for key in ("column", "column_A", "column_B") if key in kwargs]
    return ", ".join(names + list(kwargs.get("column_list", []))) or None


def by_day(days: pd.Series, value_of: Callable[[dt.date], object], missing) -> pd.Series:
    """value_of(day) for each row's day, computed once per distinct day (a few per frame); missing for a null day."""
    distinct = pd.DatetimeIndex(days.dropna().unique())
    values = np.array([*(value_of(day.date()) for day in distinct), missing])
    return pd.Series(values[distinct.get_indexer(days)], index=days.index)  # -1, a null day: the last, missing


def lookup(table: pd.DataFrame, keys: pd.DataFrame, columns: list[str]) -> dict[str, pd.Series]:
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


def beyond_pct(value: pd.Series, floor: pd.Series, ceiling: pd.Series) -> pd.Series:
    """How far value lies outside [floor, ceiling], in percent of the bound it passed: 0 inside, +100 for twice the
    ceiling, -100 for zero under a positive floor; null where any is null."""
    above = (value - ceiling) / ceiling * 100
    below = (value - floor) / floor * 100
    beyond = above.where(value > ceiling, below.where(value < floor, 0.0))
    return beyond.where(value.notna() & floor.notna() & ceiling.notna())


def beyond_day_range_pct(amount: pd.Series, shares: pd.Series, low: pd.Series, high: pd.Series) -> pd.Series:
    """How far an amount traded lies outside shares x the day's [low, high] (to HKEX's printed rounding), in
    percent: an amount for no shares, or none for many, is far outside. Null for a negative amount or share count,
    which its own rule reports."""
    beyond = beyond_pct(amount, shares * low - TURNOVER_ROUNDING_HKD, shares * high + TURNOVER_ROUNDING_HKD)
    return beyond.where((amount >= 0) & (shares >= 0))


def at_least_zero(*columns: str) -> tuple[Rule, ...]:
    return tuple(
        critical("ExpectColumnValuesToBeBetween", f"{column} is not negative", column=column, min_value=0)
        for column in columns
    )


def within(column: str, limit: float, meaning: str, rule: Callable[..., Rule] = critical) -> Rule:
    """column lies within [-limit, limit]."""
    return rule("ExpectColumnValuesToBeBetween", meaning, column=column, min_value=-limit, max_value=limit)


def dataset_rules(dataset: str) -> DatasetRules:
    """The dataset's own rules (RULES of its folder's rules module); ValueError for an unknown dataset."""
    return registry.part(dataset, "rules").RULES


def suite_rules(dataset: str) -> tuple[Rule, ...]:
    """Every rule of a dataset's suite: the shared ones, then the dataset's own."""
    spec = dataset_rules(dataset)
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
