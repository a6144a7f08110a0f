"""Sample short selling: per-stock short turnover as a share of the day's turnover.

On the two anchor days the short turnover of HSI and HSCEI constituents is scaled so that the
index ratios (short turnover over constituents' turnover) are exactly the wrap's.
"""

import datetime as dt

import numpy as np
import pandas as pd

from hk_market import reference
from hk_market.sample.market import (
    ANCHOR_SHORT_RATIOS,
    SHORT,
    Bars,
    _normals,
    _uniform,
    all_sessions,
    universe,
)
from hk_market.sources.prices import typical_turnover


def short_selling(bars: Bars, sessions: list[dt.date], full_market: bool = False) -> pd.DataFrame:
    """trade_date, stock_code, short_shares, short_turnover_hkd, board for shortable securities."""
    stocks = universe(full_market)
    shortable = stocks[stocks["shortable"]]
    days = bars.frame[bars.frame["stock_code"].isin(shortable["stock_code"])]
    days = days[days["trade_date"].dt.date.isin(set(sessions))].copy()
    days["turnover_hkd"] = typical_turnover(days["volume"], days["high"], days["low"], days["close"])
    days["ratio"] = _daily_ratios(shortable, days)
    days["short_turnover_hkd"] = days["ratio"] * days["turnover_hkd"]
    for day, targets in ANCHOR_SHORT_RATIOS.items():
        on_day = days["trade_date"].dt.date == day
        if on_day.any():
            days.loc[on_day, "short_turnover_hkd"] = _pinned(days[on_day], targets)
    days["short_turnover_hkd"] = days["short_turnover_hkd"].round()
    typical_price = (days["high"] + days["low"] + days["close"]) / 3
    days["short_shares"] = (days["short_turnover_hkd"] / typical_price).round().astype("int64")
    days["board"] = days["stock_code"].map(shortable.set_index("stock_code")["board"])
    traded = days[days["short_turnover_hkd"] > 0]
    return traded[["trade_date", "stock_code", "short_shares", "short_turnover_hkd", "board"]].reset_index(drop=True)


def _daily_ratios(shortable: pd.DataFrame, days: pd.DataFrame) -> np.ndarray:
    """A stock's short share of turnover: its own level times daily noise, capped at 60 %."""
    every = all_sessions()
    first = every.index(days["trade_date"].min().date())
    last = every.index(days["trade_date"].max().date())
    keys = shortable["walk_key"].to_numpy()
    spread = np.array([_uniform(SHORT, key) for key in keys])
    levels = np.where(shortable["index_member"], 0.10 + 0.20 * spread, 0.02 + 0.20 * spread)
    noise = np.vstack([_normals(SHORT, key, last + 1)[first:] for key in keys])
    row = pd.Index(shortable["stock_code"]).get_indexer(days["stock_code"])
    column = pd.Index(every[first : last + 1]).get_indexer(days["trade_date"].dt.date)
    return np.minimum(levels[row] * np.exp(0.3 * noise[row, column]), 0.6)


def _pinned(day: pd.DataFrame, targets: dict[str, float]) -> pd.Series:
    """Short turnover scaled per constituent group so each index's ratio equals its target."""
    members = reference.index_constituents()
    hsi = set(members.loc[members["index_code"] == "HSI", "stock_code"])
    hscei = set(members.loc[members["index_code"] == "HSCEI", "stock_code"])
    groups = {"both": hsi & hscei, "hsi_only": hsi - hscei, "hscei_only": hscei - hsi}
    turnover = {name: day.loc[day["stock_code"].isin(codes), "turnover_hkd"].sum() for name, codes in groups.items()}
    wanted = {
        "both": targets["HSCEI"] * turnover["both"],
        "hscei_only": targets["HSCEI"] * turnover["hscei_only"],
        "hsi_only": targets["HSI"] * (turnover["both"] + turnover["hsi_only"]) - targets["HSCEI"] * turnover["both"],
    }
    short = day["short_turnover_hkd"].copy()
    for name, codes in groups.items():
        in_group = day["stock_code"].isin(codes)
        short[in_group] *= wanted[name] / short[in_group].sum()
    if (short > day["turnover_hkd"]).any():
        raise AssertionError("pinned short turnover exceeds a stock's turnover")
    return short
