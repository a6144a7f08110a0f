"""The embedded sample market: deterministic, offline, on HKEX's real calendar.

Every series is a random walk drawn from a counter-seeded generator per (stream, security), so any
date range gives the same numbers for the same day. The walk is pinned on ANCHOR_DAY so that the
reference market wrap of 2024-11-14 comes out exactly: index closes and changes, named stocks'
changes, the HSI and HSCEI short selling ratios of that day and the day before, and southbound
flows (that day's net buy and the year to date). Other days are realistic but invented.
"""

import datetime as dt
from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd

from hk_market import calendar, reference

SEED = 20241114
ANCHOR_DAY = dt.date(2024, 11, 14)
FULL_MARKET_SIZE = 2600

# Short selling ratios (short turnover / turnover of the index's constituents) the wrap reports:
# HSI 21.74 % (+2.35 points), HSCEI 22.10 % (+3.94 points).
ANCHOR_SHORT_RATIOS = {
    ANCHOR_DAY: {"HSI": 0.2174, "HSCEI": 0.2210},
    dt.date(2024, 11, 13): {"HSI": 0.1939, "HSCEI": 0.1816},
}
# Southbound net buy in units of HK$10,000 (HKEX prints HK$ million to two decimals): HK$19.66 bn
# on the day and HK$628.4 bn for 2024 to date ("approaching HK$630 billion").
ANCHOR_SOUTHBOUND_NET = 1_966_000
ANCHOR_SOUTHBOUND_YTD_NET = 62_840_000

# How the market, sectors and themes moved on the anchor day (log returns).
ANCHOR_MARKET_MOVE = -0.021
ANCHOR_SECTOR_MOVES = {"Information Technology": -0.012, "Properties & Construction": -0.025}
ANCHOR_THEME_MOVES = {
    "Gold": -0.045,
    "Property": -0.055,
    "Semiconductors": -0.05,
    "Crypto-related": 0.04,
    "Bitcoin ETFs": 0.039,
}

# Streams of the counter-based generator: each is an independent draw per security.
RETURN, OPEN, RANGE_HIGH, RANGE_LOW, TURNOVER, SHORT = range(6)
MARKET_KEY, SECTOR_KEY, INDEX_KEY, SOUTHBOUND_KEY = 1_000_000, 2_000_000, 3_000_000, 4_000_000

# HKEX spread table: (upper price bound, tick size).
TICKS = ((0.25, 0.001), (0.5, 0.005), (10, 0.01), (20, 0.02), (100, 0.05), (200, 0.1), (500, 0.2),
         (1000, 0.5), (2000, 1.0), (5000, 2.0), (np.inf, 5.0))


@dataclass(frozen=True)
class Bars:
    """Daily bars for securities and indices over a window of sessions, one row per code and day."""

    sessions: list[dt.date]
    frame: pd.DataFrame  # trade_date, stock_code, open, high, low, close, volume


def _normals(stream: int, key: int, count: int) -> np.ndarray:
    return np.random.default_rng([SEED, stream, key]).standard_normal(count)


def _uniform(stream: int, key: int) -> float:
    return float(np.random.default_rng([SEED, stream, key, 1]).uniform())


def tick_size(price: np.ndarray) -> np.ndarray:
    """HKEX's minimum price step for each price."""
    bounds = np.array([upper for upper, _ in TICKS])
    steps = np.array([step for _, step in TICKS])
    return steps[np.searchsorted(bounds, price, side="right")]


def _to_tick(price: np.ndarray, rounding=np.round) -> np.ndarray:
    step = tick_size(price)
    return np.round(rounding(price / step) * step, 3)


@cache
def all_sessions() -> tuple[dt.date, ...]:
    """Every XHKG session the sample covers; a session's position here keys its random draws."""
    cal = calendar.hk_calendar()
    return tuple(calendar.sessions(cal.first_session.date(), cal.last_session.date()))


@cache
def universe(full_market: bool = False) -> pd.DataFrame:
    """The sample universe: the seed securities, plus invented ones up to a full market's size.

    Columns: stock_code, name, sector, security_type, board, walk_key (keys its random draws),
    index_member, shortable, beta, volatility, level_hkd (close on the anchor day), turnover_level_hkd.
    """
    seeds = reference.securities()
    frame = seeds[["stock_code", "name", "sector", "security_type", "board"]].copy()
    if full_market:
        frame = pd.concat([frame, _invented_securities(seeds, FULL_MARKET_SIZE - len(frame))])
    members = set(reference.index_constituents()["stock_code"])
    anchors = reference.sample_anchors()
    frame["walk_key"] = frame["stock_code"].astype(int)
    draws = np.array([[_uniform(stream, key) for stream in range(5)] for key in frame["walk_key"]])
    frame["index_member"] = frame["stock_code"].isin(members)
    frame["shortable"] = frame["index_member"] | (frame["security_type"] == "etf") | (draws[:, 0] < 0.5)
    frame["beta"] = 0.6 + 0.8 * draws[:, 1]
    frame["volatility"] = np.where(frame["index_member"], 0.012, 0.018) + 0.012 * draws[:, 2]
    level = np.exp(np.log(0.8) + draws[:, 3] * np.log(150.0))
    frame["level_hkd"] = frame["stock_code"].map(anchors["close"]).fillna(pd.Series(level, frame.index))
    turnover = np.exp(np.log(1e7) + draws[:, 4] * np.log(100.0))
    frame["turnover_level_hkd"] = np.where(frame["index_member"], turnover * 8, turnover)
    return frame.reset_index(drop=True)


def _invented_securities(seeds: pd.DataFrame, count: int) -> pd.DataFrame:
    taken = set(seeds["stock_code"])
    codes = [f"{n:05d}" for n in range(1, 10000) if f"{n:05d}" not in taken][:count]
    sectors = sorted(set(seeds["sector"]) - {"Funds & ETFs"})
    return pd.DataFrame({
        "stock_code": codes,
        "name": [f"Sample Holdings {code}" for code in codes],
        "sector": [sectors[int(code) % len(sectors)] for code in codes],
        "security_type": "equity",
        "board": ["GEM" if code.startswith("08") else "MAIN" for code in codes],
    })


def _window(sessions: list[dt.date]) -> tuple[list[dt.date], int, int]:
    """The sessions with one session of look-back, and their positions in all_sessions()."""
    every = all_sessions()
    first = every.index(sessions[0])
    start = max(first - 1, 0)
    end = every.index(sessions[-1])
    return list(every[start : end + 1]), start, end


def _log_returns(units: pd.DataFrame, count: int, anchor: int) -> np.ndarray:
    """Log returns per security (rows) and session (columns) from the first session to `count`."""
    market = _normals(RETURN, MARKET_KEY, count) * 0.011
    sectors = {name: _normals(RETURN, SECTOR_KEY + i, count) * 0.006
               for i, name in enumerate(sorted(set(units["sector"])))}
    returns = np.empty((len(units), count))
    for row, unit in enumerate(units.itertuples()):
        idio = _normals(RETURN, unit.walk_key, count) * unit.volatility
        returns[row] = unit.beta * market + sectors[unit.sector] + idio
    if anchor < count:
        returns[:, anchor] = _anchor_day_returns(units)
    return returns


def _anchor_day_returns(units: pd.DataFrame) -> np.ndarray:
    """Moves on the anchor day: the market and sector moves, theme moves, pinned wrap figures."""
    noise = np.array([_uniform(RETURN, key) - 0.5 for key in units["walk_key"]]) * 0.02
    moves = units["beta"].to_numpy() * ANCHOR_MARKET_MOVE + noise
    moves += units["sector"].map(ANCHOR_SECTOR_MOVES).fillna(0).to_numpy()
    themes = reference.themes()
    for theme, move in ANCHOR_THEME_MOVES.items():
        members = units["stock_code"].isin(themes.loc[themes["theme"] == theme, "stock_code"])
        moves[members.to_numpy()] = move + noise[members.to_numpy()] / 2
    anchors = reference.sample_anchors()
    pinned = units["stock_code"].isin(anchors.index).to_numpy()
    codes = units.loc[pinned, "stock_code"]
    moves[pinned] = np.log(anchors.loc[codes, "close"] / anchors.loc[codes, "prev_close"]).to_numpy()
    return moves


def _closes(units: pd.DataFrame, start: int, end: int) -> np.ndarray:
    """Unrounded closes for sessions start..end, pinned to level_hkd on the anchor day."""
    anchor = all_sessions().index(ANCHOR_DAY)
    count = max(end, anchor) + 1
    cumulative = np.cumsum(_log_returns(units, count, anchor), axis=1)
    relative = cumulative[:, start : end + 1] - cumulative[:, [anchor]]
    return units["level_hkd"].to_numpy()[:, None] * np.exp(relative)


@cache
def index_units() -> pd.DataFrame:
    """The three indices as walk units: stock_code (the index code), walk_key, beta, volatility, level."""
    anchors = reference.sample_anchors()
    codes = list(reference.indices()["index_code"])
    return pd.DataFrame({
        "stock_code": codes,
        "walk_key": [INDEX_KEY + i for i in range(len(codes))],
        "sector": "Index",
        "beta": 1.0,
        "volatility": [0.003, 0.005, 0.008][: len(codes)],
        "level_hkd": anchors.loc[codes, "close"].to_numpy(),
    })


def daily_bars(sessions: list[dt.date], full_market: bool = False) -> Bars:
    """Bars for the universe and the indices over the sessions plus one session of look-back."""
    window, start, end = _window(sessions)
    stocks = universe(full_market)
    stock_frame = _ohlcv(stocks, _closes(stocks, start, end), window, start, tick_rounded=True)
    indices = index_units()
    index_frame = _ohlcv(indices, _closes(indices, start, end), window, start, tick_rounded=False)
    return Bars(window, pd.concat([stock_frame, index_frame], ignore_index=True))


def _ohlcv(units: pd.DataFrame, closes: np.ndarray, window: list[dt.date], start: int,
           tick_rounded: bool) -> pd.DataFrame:
    count = len(window)
    draw = {stream: np.vstack([_normals(stream, key, start + count)[start:] for key in units["walk_key"]])
            for stream in (OPEN, RANGE_HIGH, RANGE_LOW, TURNOVER)}
    vol = units["volatility"].to_numpy()[:, None]
    prev = np.concatenate([closes[:, :1] / np.exp(vol[:, 0:1] * draw[OPEN][:, :1]), closes[:, :-1]], axis=1)
    opens = prev * np.exp(0.4 * vol * draw[OPEN])
    highs = np.maximum(opens, closes) * np.exp(np.abs(0.5 * vol * draw[RANGE_HIGH]))
    lows = np.minimum(opens, closes) * np.exp(-np.abs(0.5 * vol * draw[RANGE_LOW]))
    if tick_rounded:
        closes, opens = _to_tick(np.maximum(closes, 0.01)), _to_tick(np.maximum(opens, 0.01))
        highs = np.maximum(_to_tick(highs, np.ceil), np.maximum(opens, closes))
        lows = np.minimum(np.maximum(_to_tick(lows, np.floor), 0.01), np.minimum(opens, closes))
    else:
        closes, opens, highs, lows = (np.round(a, 2) for a in (closes, opens, highs, lows))
        highs, lows = np.maximum(highs, np.maximum(opens, closes)), np.minimum(lows, np.minimum(opens, closes))
    volumes = np.zeros_like(closes, dtype=np.int64)  # yfinance's index volume is not a share count
    if "turnover_level_hkd" in units:
        moves = np.abs(np.diff(np.log(np.concatenate([prev[:, :1], closes], axis=1)), axis=1))
        turnover = units["turnover_level_hkd"].to_numpy()[:, None] * np.exp(0.35 * draw[TURNOVER]) * (1 + 8 * moves)
        volumes = np.round(turnover / ((highs + lows + closes) / 3)).astype(np.int64)
    return pd.DataFrame({
        "trade_date": np.tile(np.array(window, dtype="datetime64[D]"), len(units)).astype("datetime64[s]"),
        "stock_code": np.repeat(units["stock_code"].to_numpy(), count),
        "open": opens.reshape(-1),
        "high": highs.reshape(-1),
        "low": lows.reshape(-1),
        "close": closes.reshape(-1),
        "volume": volumes.reshape(-1),
    })
