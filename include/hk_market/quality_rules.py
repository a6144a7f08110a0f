"""The vocabulary of the data quality rules: a Rule (critical or warning), and what a dataset's landing frame
must satisfy (DatasetRules). Datasets write their rules in it; hk_market.quality runs them with Great
Expectations."""

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import pandas as pd

CRITICAL = "critical"
WARNING = "warning"


def label(expectation: str, column: str | None) -> str:
    """An expectation and its column(s), e.g. expect_column_values_to_be_between(close)."""
    return f"{expectation}({column})" if column else expectation


def columns_named(kwargs: dict) -> str | None:
    """The column(s) an expectation's arguments name, ', ' between several."""
    names = [kwargs[key] for key in ("column", "column_A", "column_B") if key in kwargs]
    return ", ".join(names + list(kwargs.get("column_list", []))) or None


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
        return label(_snake_case(self.expectation), columns_named(self.kwargs))


def critical(expectation: str, meaning: str = "", **kwargs) -> Rule:
    """A rule whose failure stops the load."""
    return Rule(expectation, kwargs, CRITICAL, meaning)


def warning(expectation: str, meaning: str = "", **kwargs) -> Rule:
    """A rule whose failure is reported, its rows quarantined (listed), but lets the load go on."""
    return Rule(expectation, kwargs, WARNING, meaning)


def _snake_case(name: str) -> str:
    """ExpectColumnValuesToBeBetween -> expect_column_values_to_be_between."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


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
