"""Sample short selling: per-stock short turnover as a share of the day's turnover.

On the two anchor days the short turnover of HSI and HSCEI constituents is scaled so that the
index ratios (short turnover over constituents' turnover) are exactly the wrap's.
"""

import datetime as dt

import numpy as np
import pandas as pd

from hk_market import reference
from hk_market.hkex.figures import typical_turnover
from hk_market.sample.market import ANCHOR_SHORT_RATIOS, SECURITIES, SHORT, Bars, all_sessions, draws, universe


def short_selling(bars: Bars, sessions: list[dt.date], full_market: bool = False) -> pd.DataFrame:
    """trade_date, stock_code, short_shares, short_turnover_hkd, board for shortable securities, by day."""
    stocks = universe(full_market)
    rows = np.flatnonzero(stocks["shortable"].to_numpy())
    columns = np.flatnonzero(np.isin(np.array(bars.window), np.array(sessions)))
    positions = range(all_sessions().index(sessions[0]), all_sessions().index(sessions[-1]) + 1)
    pick = np.ix_(rows, columns)
    typical_price = (bars.high[pick] + bars.low[pick] + bars.close[pick]) / 3
    turnover = typical_turnover(bars.volume[pick], bars.high[pick], bars.low[pick], bars.close[pick])
    noise = draws(SHORT, SECURITIES, len(stocks), positions)[rows]
    ratio = np.minimum(stocks["short_level"].to_numpy()[rows, None] * np.exp(0.3 * noise), 0.6)
    short = ratio * turnover
    codes = stocks["stock_code"].to_numpy()[rows]
    for day, targets in ANCHOR_SHORT_RATIOS.items():
        if day in sessions:
            column = sessions.index(day)
            short[:, column] = _pinned(codes, turnover[:, column], short[:, column], targets)
    short = np.round(short)
    shares = np.round(short / typical_price).astype(np.int64)
    traded = short.T > 0  # day-major, so each day's rows are together
    days = np.array(sessions, dtype="datetime64[D]").astype("datetime64[s]")
    return pd.DataFrame({
        "trade_date": np.repeat(days, len(rows)).reshape(len(days), -1)[traded],
        "stock_code": np.tile(codes, (len(days), 1))[traded],
        "short_shares": shares.T[traded],
        "short_turnover_hkd": short.T[traded],
        "board": np.tile(stocks["board"].to_numpy()[rows], (len(days), 1))[traded],
    })


def _pinned(codes: np.ndarray, turnover: np.ndarray, short: np.ndarray, targets: dict[str, float]) -> np.ndarray:
    """Short turnover scaled per constituent group so each index's ratio equals its target."""
    members = reference.index_constituents()
    hsi = set(members.loc[members["index_code"] == "HSI", "stock_code"])
    hscei = set(members.loc[members["index_code"] == "HSCEI", "stock_code"])
    groups = {"both": hsi & hscei, "hsi_only": hsi - hscei, "hscei_only": hscei - hsi}
    masks = {name: np.isin(codes, list(group)) for name, group in groups.items()}
    group_turnover = {name: turnover[mask].sum() for name, mask in masks.items()}
    wanted = {
        "both": targets["HSCEI"] * group_turnover["both"],
        "hscei_only": targets["HSCEI"] * group_turnover["hscei_only"],
        "hsi_only": targets["HSI"] * (group_turnover["both"] + group_turnover["hsi_only"])
        - targets["HSCEI"] * group_turnover["both"],
    }
    short = short.copy()
    for name, mask in masks.items():
        short[mask] *= wanted[name] / short[mask].sum()
    if (short > turnover).any():
        raise AssertionError("pinned short turnover exceeds a stock's turnover")
    return short
