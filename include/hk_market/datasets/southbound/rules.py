"""The southbound suite: the two channels, amounts finite and in range, and HKEX's Total equal to Buy + Sell."""

import pandas as pd

from hk_market.datasets.southbound.parse import PRINTED_UNIT_HKD
from hk_market.datasets.southbound.schema import LANDING_SCHEMA
from hk_market.rules import DatasetRules, Related, critical, within

# No southbound channel has traded HK$0.3 trillion in a day (the record, 2025, is under HK$0.2 trillion per
# channel): HK$1 trillion is far past any real day, and well inside the marts' DECIMAL(18, 2).
SOUTHBOUND_CEILING_HKD = 1e12
SOUTHBOUND_AMOUNTS = ("buy_hkd", "sell_hkd")


def _unbalanced_turnover(landing: pd.DataFrame, _related: Related) -> dict[str, pd.Series]:
    """HKEX's Total Turnover less Buy + Sell: zero, to the printed rounding, when the file agrees with itself."""
    return {"total_minus_buy_and_sell_hkd": landing["total_turnover_hkd"] - (landing["buy_hkd"] + landing["sell_hkd"])}


RULES = DatasetRules(
    landing_schema=LANDING_SCHEMA,
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
        within(
            "total_minus_buy_and_sell_hkd",
            PRINTED_UNIT_HKD,
            "HKEX's Total Turnover is Buy + Sell, to the printed HK$0.01 million",
        ),
    ),
    derived_columns=_unbalanced_turnover,
)
