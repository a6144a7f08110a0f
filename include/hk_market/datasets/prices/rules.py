"""The prices suite: levels, order and moves of each bar, prev_close against the closes already loaded, turnover
against volume x the day's range."""

import datetime as dt

import numpy as np
import pandas as pd

from hk_market import calendar
from hk_market.datasets.prices.schema import LANDING_SCHEMA
from hk_market.rules import (
    TURNOVER_PRICE_TOLERANCE_PCT,
    DatasetRules,
    Related,
    at_least_zero,
    beyond_day_range_pct,
    beyond_pct,
    by_day,
    critical,
    lookup,
    warning,
    within,
)

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
PRICE_CODE_PATTERN = r"^(?:\d{5}|HSI|HSCEI|HSTECH)$"  # securities and INDEX_CODES
PRICE_COLUMNS = ("open", "high", "low", "close", "prev_close")
PRICE_ORDER = (("high", "open"), ("high", "close"), ("open", "low"), ("close", "low"))  # (A, B): A >= B


def _price_checks(landing: pd.DataFrame, related: Related) -> dict[str, pd.Series]:
    """Day moves (securities' and indices' apart, each with its own limit); each row's prev_close against the close
    already known for its previous session (in the frame, else loaded, through the splits Yahoo declared since);
    the declared splits; turnover against volume x the day's range."""
    prev_close = landing["prev_close"]
    change_pct = (landing["close"] / prev_close - 1) * 100
    is_index = landing["stock_code"].isin(INDEX_CODES)
    previous_day = by_day(landing["trade_date"], _previous_session, np.datetime64("NaT", "s"))
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
        "prev_close_off_previous_close_pct": beyond_pct(
            prev_close_as_loaded, previous_close - PRICE_ROUNDING_HKD, previous_close + PRICE_ROUNDING_HKD
        ),
        "declared_split_ratio": split_ratio.where(split_ratio.notna() & (split_ratio != 1)),
        "turnover_price_beyond_day_range_pct": beyond_day_range_pct(
            landing["turnover_hkd"], landing["volume"], landing["low"], landing["high"]
        ),
    }


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
    in_frame = lookup(landing[["trade_date", "stock_code", "close"]], keys, ["close"])["close"]
    if history is None or not len(history):
        return in_frame, pd.Series(False, index=landing.index)
    loaded = lookup(history[["trade_date", "stock_code", "close"]], keys, ["close"])["close"]
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


RULES = DatasetRules(
    landing_schema=LANDING_SCHEMA,
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
        *at_least_zero("volume", "turnover_hkd"),
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
        within(
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
        within(
            "turnover_price_beyond_day_range_pct",
            TURNOVER_PRICE_TOLERANCE_PCT,
            f"turnover lies within volume x the day's [low, high], within {TURNOVER_PRICE_TOLERANCE_PCT} %: "
            f"turnover 0 for a stock that traded, turnover x1000, or prices scaled against HKEX's turnover "
            f"fail (an estimate is inside by construction)",
        ),
        within(
            "security_change_pct",
            SECURITY_MOVE_LIMIT_PCT,
            f"a security moves at most {SECURITY_MOVE_LIMIT_PCT} % in a day: a bigger move is flagged and its "
            f"row listed in audit.quarantine_prices, and the day loads (small stocks do move that much on news)",
            warning,
        ),
        within(
            "index_change_pct",
            INDEX_MOVE_LIMIT_PCT,
            f"an index moves at most {INDEX_MOVE_LIMIT_PCT} % in a day",
        ),
    ),
    derived_columns=_price_checks,
)
