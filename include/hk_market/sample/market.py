"""The embedded sample market: deterministic, offline, on HKEX's real calendar.

Every series is a random walk whose draws come in calendar-year blocks, one generator per (stream,
group of units, year) filling a units × sessions matrix row by row, so any date range gives the same
numbers for the same day and a range only costs the years it touches. The walk is pinned on ANCHOR_DAY so that the
reference market wrap of 2024-11-14 comes out exactly: index closes and changes, named stocks'
changes, the HSI and HSCEI short selling ratios of that day and the day before, and southbound
flows (that day's net buy and the year to date). Other days are realistic but invented.
"""

import datetime as dt
from dataclasses import dataclass
from functools import cache, lru_cache

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

# Streams of draws, and the groups of units they are drawn for.
RETURN, OPEN, RANGE_HIGH, RANGE_LOW, TURNOVER, SHORT = range(6)
SECURITIES, INDICES, MARKET, SECTORS, SOUTHBOUND_KEY = range(5)

# HKEX spread table: (upper price bound, tick size).
TICKS = ((0.25, 0.001), (0.5, 0.005), (10, 0.01), (20, 0.02), (100, 0.05), (200, 0.1), (500, 0.2),
         (1000, 0.5), (2000, 1.0), (5000, 2.0), (np.inf, 5.0))


@dataclass(frozen=True)
class Bars:
    """Daily bars over a window of sessions as units (rows) × sessions (columns) matrices."""

    window: list[dt.date]
    codes: np.ndarray
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    volume: np.ndarray

    @property
    def frame(self) -> pd.DataFrame:
        """One row per code and session: trade_date, stock_code, open, high, low, close, volume."""
        days = np.array(self.window, dtype="datetime64[D]").astype("datetime64[s]")
        return pd.DataFrame({
            "trade_date": np.tile(days, len(self.codes)),
            "stock_code": np.repeat(self.codes, len(days)),
            **{field: getattr(self, field).reshape(-1) for field in ("open", "high", "low", "close", "volume")},
        })


def draws(stream: int, group: int, rows: int, positions: range) -> np.ndarray:
    """Standard normal draws, rows × sessions, for session positions in all_sessions().

    Each calendar year is one generator filling a rows × sessions-of-the-year matrix, so a session's
    draw depends only on its year, its place in the year and its row.
    """
    years = _session_years()
    blocks = []
    for year in range(years[positions.start], years[positions.stop - 1] + 1):
        first, last = _year_bounds(year)
        block = np.random.default_rng([SEED, stream, group, year]).standard_normal((rows, last - first))
        blocks.append(block[:, max(positions.start, first) - first : min(positions.stop, last) - first])
    return np.concatenate(blocks, axis=1)


@cache
def _session_years() -> np.ndarray:
    return np.array([day.year for day in all_sessions()])


@cache
def _year_bounds(year: int) -> tuple[int, int]:
    """Positions of the year's first session and one past its last in all_sessions()."""
    years = _session_years()
    return int(np.searchsorted(years, year, "left")), int(np.searchsorted(years, year, "right"))


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

    Columns: stock_code, name, sector, security_type, board, index_member, shortable, beta, volatility,
    level_hkd (close on the anchor day), turnover_level_hkd, short_level (usual short share of turnover),
    anchor_noise. Seeds come first, so their traits are the same with or without the invented ones.
    """
    seeds = reference.securities()
    frame = seeds[["stock_code", "name", "sector", "security_type", "board"]].copy()
    if full_market:
        frame = pd.concat([frame, _invented_securities(seeds, FULL_MARKET_SIZE - len(frame))])
    members = set(reference.index_constituents()["stock_code"])
    anchors = reference.sample_anchors()
    frame = frame.reset_index(drop=True)
    traits = np.random.default_rng([SEED, SECURITIES]).uniform(size=(len(frame), 7))
    frame["index_member"] = frame["stock_code"].isin(members)
    # About 1,000 of HKEX's 2,600 securities are designated for short selling.
    frame["shortable"] = frame["index_member"] | (frame["security_type"] == "etf") | (traits[:, 0] < 0.35)
    frame["beta"] = 0.6 + 0.8 * traits[:, 1]
    frame["volatility"] = np.where(frame["index_member"], 0.012, 0.018) + 0.012 * traits[:, 2]
    level = np.exp(np.log(0.8) + traits[:, 3] * np.log(150.0))
    frame["level_hkd"] = frame["stock_code"].map(anchors["close"]).fillna(pd.Series(level))
    turnover = np.exp(np.log(1e7) + traits[:, 4] * np.log(100.0))
    frame["turnover_level_hkd"] = np.where(frame["index_member"], turnover * 8, turnover)
    frame["short_level"] = np.where(frame["index_member"], 0.10, 0.02) + 0.20 * traits[:, 5]
    frame["anchor_noise"] = (traits[:, 6] - 0.5) * 0.02
    return frame


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


def window(sessions: list[dt.date]) -> tuple[list[dt.date], range]:
    """The sessions with one session of look-back, and their positions in all_sessions()."""
    every = all_sessions()
    first = max(every.index(sessions[0]) - 1, 0)
    last = every.index(sessions[-1])
    return list(every[first : last + 1]), range(first, last + 1)


def _closes(units: pd.DataFrame, group: int, positions: range) -> np.ndarray:
    """Unrounded closes for the positions, a random walk pinned to level_hkd on the anchor day."""
    anchor = all_sessions().index(ANCHOR_DAY)
    span = range(min(positions.start, anchor), max(positions.stop, anchor + 1))
    returns = _log_returns(units, group, span)
    returns[:, anchor - span.start] = _anchor_day_returns(units)
    cumulative = np.cumsum(returns, axis=1)
    relative = cumulative[:, positions.start - span.start : positions.stop - span.start]
    relative -= cumulative[:, [anchor - span.start]]
    return units["level_hkd"].to_numpy()[:, None] * np.exp(relative)


def _log_returns(units: pd.DataFrame, group: int, span: range) -> np.ndarray:
    """Market move times beta, plus the sector's move, plus the unit's own, per unit and session."""
    market = draws(RETURN, MARKET, 1, span) * 0.011
    sector_names = sorted(set(reference.securities()["sector"]) | {"Index"})
    sector_moves = draws(RETURN, SECTORS, len(sector_names), span) * 0.006
    sector_rows = pd.Index(sector_names).get_indexer(units["sector"])
    own = draws(RETURN, group, len(units), span) * units["volatility"].to_numpy()[:, None]
    return units["beta"].to_numpy()[:, None] * market + sector_moves[sector_rows] + own


def _anchor_day_returns(units: pd.DataFrame) -> np.ndarray:
    """Moves on the anchor day: the market and sector moves, theme moves, pinned wrap figures."""
    noise = units["anchor_noise"].to_numpy()
    moves = units["beta"].to_numpy() * ANCHOR_MARKET_MOVE + noise
    moves += units["sector"].map(ANCHOR_SECTOR_MOVES).fillna(0).to_numpy()
    themes = reference.themes()
    for theme, move in ANCHOR_THEME_MOVES.items():
        members = units["stock_code"].isin(themes.loc[themes["theme"] == theme, "stock_code"]).to_numpy()
        moves[members] = move + noise[members] / 2
    anchors = reference.sample_anchors()
    pinned = units["stock_code"].isin(anchors.index).to_numpy()
    codes = units.loc[pinned, "stock_code"]
    moves[pinned] = np.log(anchors.loc[codes, "close"] / anchors.loc[codes, "prev_close"]).to_numpy()
    return moves


@cache
def index_units() -> pd.DataFrame:
    """The three indices as walk units: stock_code (the index code), beta, volatility, level."""
    anchors = reference.sample_anchors()
    codes = list(reference.indices()["index_code"])
    return pd.DataFrame({
        "stock_code": codes,
        "anchor_noise": 0.0,
        "sector": "Index",
        "beta": 1.0,
        "volatility": [0.003, 0.005, 0.008][: len(codes)],
        "level_hkd": anchors.loc[codes, "close"].to_numpy(),
    })


def daily_bars(sessions: list[dt.date], full_market: bool = False) -> Bars:
    """Bars for the universe and then the indices over the sessions plus one session of look-back.

    The last window drawn is kept, so the prices and the short selling of one chunk share it; callers
    must not modify the matrices.
    """
    return _daily_bars(tuple(sessions), full_market)


@lru_cache(maxsize=1)
def _daily_bars(sessions: tuple[dt.date, ...], full_market: bool) -> Bars:
    days, positions = window(list(sessions))
    stocks, indices = universe(full_market), index_units()
    parts = [_ohlcv(stocks, SECURITIES, positions, tick_rounded=True),
             _ohlcv(indices, INDICES, positions, tick_rounded=False)]
    codes = np.concatenate([stocks["stock_code"].to_numpy(), indices["stock_code"].to_numpy()])
    return Bars(days, codes, *(np.concatenate(matrices) for matrices in zip(*parts, strict=True)))


def _ohlcv(units: pd.DataFrame, group: int, positions: range, tick_rounded: bool) -> tuple[np.ndarray, ...]:
    """open, high, low, close, volume matrices for the units over the positions."""
    closes = _closes(units, group, positions)
    rows = len(units)
    vol = units["volatility"].to_numpy()[:, None]
    open_moves = draws(OPEN, group, rows, positions)
    prev = np.concatenate([closes[:, :1] / np.exp(vol * open_moves[:, :1]), closes[:, :-1]], axis=1)
    opens = prev * np.exp(0.4 * vol * open_moves)
    highs = np.maximum(opens, closes) * np.exp(np.abs(0.5 * vol * draws(RANGE_HIGH, group, rows, positions)))
    lows = np.minimum(opens, closes) * np.exp(-np.abs(0.5 * vol * draws(RANGE_LOW, group, rows, positions)))
    if tick_rounded:
        closes, opens = _to_tick(np.maximum(closes, 0.01)), _to_tick(np.maximum(opens, 0.01))
        highs, lows = _to_tick(highs, np.ceil), np.maximum(_to_tick(lows, np.floor), 0.01)
    else:
        closes, opens, highs, lows = (np.round(a, 2) for a in (closes, opens, highs, lows))
    highs = np.maximum(highs, np.maximum(opens, closes))
    lows = np.minimum(lows, np.minimum(opens, closes))
    volumes = np.zeros_like(closes, dtype=np.int64)  # yfinance's index volume is not a share count
    if "turnover_level_hkd" in units:
        moves = np.abs(np.diff(np.log(np.concatenate([prev[:, :1], closes], axis=1)), axis=1))
        level = units["turnover_level_hkd"].to_numpy()[:, None]
        turnover = level * np.exp(0.35 * draws(TURNOVER, group, rows, positions)) * (1 + 8 * moves)
        volumes = np.round(turnover / ((highs + lows + closes) / 3)).astype(np.int64)
    return opens, highs, lows, closes, volumes
