"""A trading day's facts, read from the marts (and audit.runs for the source), and the operator's text summary.

The market wrap (wrap.py) and the UI page render the same facts.
"""

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import duckdb

from hk_market import warehouse
from hk_market.datasets.macro.schema import INSTRUMENTS
from hk_market.sample.market import ANCHOR_DAY

HISTORY_SESSIONS = 20
INDEX_ORDER = "index_code <> 'HSI', index_code <> 'HSCEI', index_code"  # HSI, HSCEI, HSTECH
GROUP_MARTS = {"theme": "marts.theme_daily", "sector": "marts.sector_daily"}
DRIVER_DECIMALS = {"CNH=X": 4}  # USD/CNH moves in the fourth decimal
LEADERS = 5  # members the wrap names for a theme: enough for each the reference wrap names (Gold, Semiconductors)


@dataclass(frozen=True)
class DayFacts:
    """What the marts say about one trading day; each list holds one dict per mart row."""

    day: dt.date
    indices: list[dict]
    southbound: list[dict]
    themes: list[dict]
    sectors: list[dict]
    gainers: list[dict]
    losers: list[dict]
    index_history: dict[str, list[tuple[dt.date, float]]]
    source: str | None  # "sample" or "live"; None when no load of the day is recorded
    drivers: list[dict]  # one per driver (instrument, name, close, change_pct), None where not loaded

    @property
    def source_note(self) -> str:
        """What the figures are, said where a reader looks first."""
        if self.source == "sample":
            return "SAMPLE DATA — invented figures from the embedded sample market, not the real market." + (
                " On this day the sample reproduces a real market wrap's published figures (indices, short selling"
                " ratios, southbound net buy, the stocks it names); everything else is invented."
                if self.day == ANCHOR_DAY else "")
        if self.source == "live":
            return "Source: live — Yahoo Finance and HKEX."
        return "Source: not recorded (no load of this day in audit.runs)."


def _dicts(con: duckdb.DuckDBPyConnection, sql: str, params: dict) -> list[dict]:
    cursor = con.execute(sql, params)
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _group_moves(con: duckdb.DuckDBPyConnection, kind: str, day: dt.date) -> list[dict]:
    """A theme's or sector's day, best first, with the names of its best and worst members and its leaders:
    up to LEADERS members that moved its way (either way for a flat group), largest move first."""
    return _dicts(con, f"""
        with groups as (
            select * rename ({kind} as name) from {GROUP_MARTS[kind]} where trade_date = $day
        ),

        -- "Its way" is judged as printed, to 0.01%, so a flat group's leaders are its biggest moves either way.
        leaders as (
            select
                g.name,
                list(struct_pack(s.stock_code, s.name, s.change_pct)
                     order by abs(s.change_pct) desc, s.stock_code)[:$leaders] as leaders
            from groups as g
            join core.security_groups as m on m.group_type = $kind and m.group_name = g.name
            join marts.security_daily as s on s.trade_date = g.trade_date and s.stock_code = m.stock_code
            where sign(round(s.change_pct, 2)) <> 0
                and sign(round(g.avg_change_pct, 2)) in (0, sign(round(s.change_pct, 2)))
            group by g.name
        )

        select g.name, g.securities, g.advancers, g.decliners, g.avg_change_pct, g.median_change_pct,
               g.turnover_hkd, g.short_sell_ratio_pct,
               g.best_stock_code, best.name as best_name, g.best_change_pct,
               g.worst_stock_code, worst.name as worst_name, g.worst_change_pct,
               coalesce(l.leaders, []) as leaders
        from groups as g
        left join leaders as l using (name)
        left join marts.security_daily as best
            on best.trade_date = g.trade_date and best.stock_code = g.best_stock_code
        left join marts.security_daily as worst
            on worst.trade_date = g.trade_date and worst.stock_code = g.worst_stock_code
        order by g.avg_change_pct desc, g.name""", {"day": day, "kind": kind, "leaders": LEADERS})


def _index_history(con: duckdb.DuckDBPyConnection, day: dt.date) -> dict[str, list[tuple[dt.date, float]]]:
    rows = con.execute(f"""
        select index_code, trade_date, close from marts.market_summary
        where trade_date <= $day
        qualify row_number() over (partition by index_code order by trade_date desc) <= $sessions
        order by {INDEX_ORDER}, trade_date""", {"day": day, "sessions": HISTORY_SESSIONS}).fetchall()
    history: dict[str, list[tuple[dt.date, float]]] = {}
    for code, trade_date, close in rows:
        history.setdefault(code, []).append((trade_date, close))
    return history


def _source(con: duckdb.DuckDBPyConnection, day: dt.date) -> str | None:
    """The source of the day's rows: each dataset's latest load covering the day (a load replaces its days);
    "sample" if any of them came from the sample."""
    sources = {row[0] for row in con.execute("""
        select arg_max(source, loaded_at) from audit.runs
        where $day between first_session and last_session group by dataset""", {"day": day}).fetchall()}
    return "sample" if "sample" in sources else "live" if sources else None


def _drivers(con: duckdb.DuckDBPyConnection, day: dt.date) -> list[dict]:
    """Each driver's close and move on the day from marts.macro_daily, in the order the wrap cites them; close
    and change_pct None for a driver not loaded (Yahoo served none, or the day was loaded without macro)."""
    loaded = {row["instrument"]: row for row in _dicts(
        con, "select instrument, close, change_pct from marts.macro_daily where trade_date = $day", {"day": day})}
    return [{"instrument": instrument, "name": name, "close": loaded.get(instrument, {}).get("close"),
             "change_pct": loaded.get(instrument, {}).get("change_pct")} for instrument, name in INSTRUMENTS.items()]


def day_facts(con: duckdb.DuckDBPyConnection, day: dt.date) -> DayFacts | None:
    """The day's facts from the marts, or None when the marts have no such trading day."""
    indices = _dicts(con, f"""
        select index_code, index_name, close, prev_close, change_pct, short_sell_ratio_pct,
               short_sell_ratio_change_pp
        from marts.market_summary where trade_date = $day order by {INDEX_ORDER}""", {"day": day})
    if not indices:
        return None
    movers = _dicts(con, """
        select direction, rank, stock_code, name, sector, close, change_pct, volume, turnover_hkd
        from marts.movers_daily where trade_date = $day and rank <= 5 order by direction, rank""", {"day": day})
    return DayFacts(
        day=day,
        indices=indices,
        southbound=_dicts(con, """
            select channel, buy_hkd, sell_hkd, net_buy_hkd, ytd_net_buy_hkd, ytd_complete,
                   ytd_sessions_loaded, ytd_sessions_expected
            from marts.southbound_daily where trade_date = $day
            order by channel = 'TOTAL' desc, channel""", {"day": day}),
        themes=_group_moves(con, "theme", day),
        sectors=_group_moves(con, "sector", day),
        gainers=[row for row in movers if row["direction"] == "gainer"],
        losers=[row for row in movers if row["direction"] == "loser"],
        index_history=_index_history(con, day),
        source=_source(con, day),
        drivers=_drivers(con, day),
    )


def trading_days(con: duckdb.DuckDBPyConnection) -> list[dt.date]:
    """Every trading day the marts hold, latest first."""
    rows = con.execute("select distinct trade_date from marts.market_summary order by trade_date desc").fetchall()
    return [row[0] for row in rows]


def driver_level(driver: dict) -> str:
    """A driver's close as printed: to DRIVER_DECIMALS (2 by default), n/a when not loaded."""
    if driver["close"] is None:
        return "n/a"
    return f"{driver['close']:,.{DRIVER_DECIMALS.get(driver['instrument'], 2)}f}"


def _signed(value: float | None, unit: str = "%") -> str:
    return "n/a" if value is None else f"{value:+.2f}{unit}"


def _ratio(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}%"


def day_summary(day: dt.date, path: Path | None = None) -> str:
    """The day as text: its source first, then indices, short selling ratios, southbound, themes, sectors, market
    drivers and top movers."""
    with warehouse.connect(path, read_only=True) as con:
        facts = day_facts(con, day)
    if facts is None:
        return f"No marts for {day}: not a trading day, or not loaded yet."
    lines = [facts.source_note, f"Hong Kong market, {day:%A %d %B %Y}", "",
             "Index       Close   Change  Short ratio  Change (pp)"]
    lines += [f"{ix['index_code']:<7}{ix['close']:>10,.2f}  {_signed(ix['change_pct']):>7}  "
              f"{_ratio(ix['short_sell_ratio_pct']):>11}  {_signed(ix['short_sell_ratio_change_pp'], ''):>11}"
              for ix in facts.indices]
    lines += ["", "Southbound Stock Connect (net buy)"]
    lines += [f"  {sb['channel']:<6} HK${sb['net_buy_hkd'] / 1e9:>7.2f} bn   "
              f"year to date HK${sb['ytd_net_buy_hkd'] / 1e9:>8.2f} bn"
              + ("" if sb["ytd_complete"] else
                 f"  (incomplete: {sb['ytd_sessions_loaded']} of {sb['ytd_sessions_expected']} sessions loaded)")
              for sb in facts.southbound]
    lines += ["", "Themes (average move; best member)"]
    lines += [f"  {theme['name']:<20} {_signed(theme['avg_change_pct']):>7}   "
              f"{theme['best_stock_code']} {_signed(theme['best_change_pct'])}" for theme in facts.themes]
    lines += ["", "Sectors (average move; advancers/decliners)"]
    lines += [f"  {sector['name']:<26} {_signed(sector['avg_change_pct']):>7}   "
              f"{sector['advancers']:>3}/{sector['decliners']:<3}" for sector in facts.sectors]
    lines += ["", "Market drivers (latest close on or before the session; change against its previous close)"]
    lines += [f"  {d['name']:<20} {driver_level(d):>10}  {_signed(d['change_pct']):>7}" for d in facts.drivers]
    for title, movers in (("Top gainers", facts.gainers), ("Top losers", facts.losers)):
        lines += ["", title]
        lines += [f"  {m['rank']}. {m['stock_code']} {m['name'] or '':<28} {m['close']:>9.3f}  "
                  f"{_signed(m['change_pct'])}" for m in movers]
    return "\n".join(lines)
