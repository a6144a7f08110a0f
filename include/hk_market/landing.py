"""The landing zone: one Parquet file per dataset and session, written atomically."""

import datetime as dt
import os
from pathlib import Path

import pandas as pd

from hk_market import settings


def path(dataset: str, day: dt.date) -> Path:
    """landing/<dataset>/trade_date=YYYY-MM-DD.parquet"""
    return settings.landing_dir() / dataset / f"trade_date={day.isoformat()}.parquet"


def write(dataset: str, frame: pd.DataFrame, sessions: list[dt.date]) -> None:
    """Write each session's rows (possibly none) to its own file, replacing any earlier one."""
    days = frame["trade_date"].dt.date
    for day in sessions:
        target = path(dataset, day)
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(".partial")
        frame[days == day].to_parquet(partial, index=False)
        os.replace(partial, target)


def read(dataset: str, sessions: list[dt.date]) -> pd.DataFrame:
    """The landed rows for the sessions; an error names any session that was never extracted."""
    missing = [day.isoformat() for day in sessions if not path(dataset, day).exists()]
    if missing:
        raise FileNotFoundError(f"{dataset}: nothing landed for {', '.join(missing)}; run its extract first")
    return pd.concat([pd.read_parquet(path(dataset, day)) for day in sessions], ignore_index=True)
