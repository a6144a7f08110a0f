"""Data quality gates on landing frames: one Great Expectations suite per dataset, written as rules in code.

validate() runs a dataset's suite on a landing frame and reports every expectation's outcome plus the rows
that broke a row-level expectation; raise_for_failures() turns critical failures into DataQualityError;
build_data_docs() adds a report to the Great Expectations Data Docs site (gx/data_docs/index.html beside
the landing zone). great_expectations takes seconds to import, so it is only imported when the first frame
is validated, or earlier by prepare_suites().
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from hk_market import calendar
from hk_market.sources import prices, short_selling, southbound

CRITICAL = "critical"
WARNING = "warning"
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
        return _label(_snake_case(self.expectation), _columns(self.kwargs))


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


def _label(expectation: str, column: str | None) -> str:
    return f"{expectation}({column})" if column else expectation


def _columns(kwargs: dict) -> str | None:
    names = [kwargs[key] for key in ("column", "column_A", "column_B") if key in kwargs]
    return ", ".join(names + list(kwargs.get("column_list", []))) or None


def describe_days(sessions: list[dt.date]) -> str:
    """'2024-11-14', or '2024-11-11 to 2024-11-15 (5 sessions)' for several."""
    if not sessions:
        return "(no sessions)"
    if len(sessions) == 1:
        return sessions[0].isoformat()
    return f"{min(sessions).isoformat()} to {max(sessions).isoformat()} ({len(sessions)} sessions)"
