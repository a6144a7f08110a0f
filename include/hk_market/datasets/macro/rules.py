"""The macro dataset's quality rules, on top of those every dataset shares (one row per session and instrument,
sessions only, at least one instrument a session: a driver Yahoo failed to serve is n/a in the wrap)."""

import pandas as pd

from hk_market.datasets.macro.schema import INSTRUMENTS, LANDING_SCHEMA
from hk_market.rules import DatasetRules, Related, critical, warning

CLOSE_CEILING = 10_000_000  # above any of the four drivers' level (Bitcoin's record is about US$126,000, 2025)
MAX_CLOSE_AGE_DAYS = 7  # a close older than this is stale: the longest US closure since 2001 was 4 days
# A day move beyond it is flagged, not failed: each driver has moved this much on a real day, rarely.
MOVE_LIMIT_PCT = {"DX-Y.NYB": 3, "GC=F": 8, "BTC-USD": 25, "CNH=X": 3}


def _checks(landing: pd.DataFrame, _related: Related) -> dict[str, pd.Series]:
    """Each row's close age in days, and its day move where it is beyond its instrument's limit."""
    change_pct = (landing["close"] / landing["prev_close"] - 1) * 100
    limit = landing["instrument"].map(MOVE_LIMIT_PCT).astype("float64")
    return {
        "close_age_days": (landing["trade_date"] - landing["close_date"]).dt.days,
        "change_pct_beyond_limit": change_pct.where(change_pct.abs() > limit),
    }


RULES = DatasetRules(
    landing_schema=LANDING_SCHEMA,
    key=("trade_date", "instrument"),
    required=tuple(LANDING_SCHEMA),
    min_rows_per_session=1,
    universe_share=None,
    rules=(
        critical(
            "ExpectColumnValuesToBeInSet", f"a known driver: {', '.join(INSTRUMENTS)}", column="instrument",
            value_set=list(INSTRUMENTS),
        ),
        *(
            critical(
                "ExpectColumnValuesToBeBetween", f"{column} is finite and above zero (under {CLOSE_CEILING:,})",
                column=column, min_value=0, strict_min=True, max_value=CLOSE_CEILING,
            )
            for column in ("close", "prev_close")
        ),
        critical(
            "ExpectColumnValuesToBeBetween",
            f"the close is the instrument's latest on or before the session, and at most {MAX_CLOSE_AGE_DAYS} days "
            "older: a close dated after the session, or a stale one, fails",
            column="close_age_days", min_value=0, max_value=MAX_CLOSE_AGE_DAYS,
        ),
        warning(
            "ExpectColumnValuesToBeNull",
            "a driver moves at most " + ", ".join(f"{limit} % ({name})" for name, limit in MOVE_LIMIT_PCT.items())
            + " against its previous close: a bigger move is flagged and listed in audit.quarantine_macro, and the "
            "day loads",
            column="change_pct_beyond_limit",
        ),
    ),
    derived_columns=_checks,
)
