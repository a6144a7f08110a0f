"""The short selling suite: amounts not negative, and each stock's short sales within its day's volume and range
(from the same sessions' prices)."""

import pandas as pd

from hk_market.datasets.short_selling.schema import LANDING_SCHEMA
from hk_market.rules import (
    STOCK_CODE_PATTERN,
    TURNOVER_PRICE_TOLERANCE_PCT,
    DatasetRules,
    Related,
    at_least_zero,
    beyond_day_range_pct,
    critical,
    lookup,
    within,
)


def _short_selling_checks(landing: pd.DataFrame, related: Related) -> dict[str, pd.Series]:
    """The stock's day volume and the most it can have traded for (volume x high), and how far the short sales'
    average price lies outside its day range, from the prices of the stock's first row that day.

    prices' turnover_hkd may be an estimate (volume x typical price: live before HKEX publishes its own, GEM) that
    a stock's real turnover, and so its short turnover, may exceed; its volume and day range bound both. Null where
    no prices are given or they have no row for the stock.
    """
    wanted = ["trade_date", "stock_code", "volume", "high", "low"]
    prices = related.prices.reindex(columns=wanted) if related.prices is not None else pd.DataFrame(columns=wanted)
    day = lookup(prices, landing, ["volume", "high", "low"])
    shares, amount = landing["short_shares"], landing["short_turnover_hkd"]
    return {
        "max_turnover_hkd": day["volume"] * day["high"],
        "day_volume": day["volume"],
        "short_price_beyond_day_range_pct": beyond_day_range_pct(amount, shares, day["low"], day["high"]),
    }


RULES = DatasetRules(
    landing_schema=LANDING_SCHEMA,
    key=("trade_date", "stock_code"),
    required=("trade_date", "stock_code", "short_shares", "short_turnover_hkd"),
    min_rows_per_session=10,
    universe_share=0.2,  # about a third of HKEX's securities are short sold on a day
    rules=(
        *at_least_zero("short_shares", "short_turnover_hkd"),
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
        within(
            "short_price_beyond_day_range_pct",
            TURNOVER_PRICE_TOLERANCE_PCT,
            f"short turnover lies within short shares x the stock's day [low, high], within "
            f"{TURNOVER_PRICE_TOLERANCE_PCT} %: HK$557 million for 100 shares, or for none, fails",
        ),
    ),
    derived_columns=_short_selling_checks,
)
