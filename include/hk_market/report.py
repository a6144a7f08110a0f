"""The operator's summary of a trading day, read from the marts only."""

import datetime as dt

from hk_market import warehouse


def _rows(con, sql: str, day: dt.date) -> list[tuple]:
    return con.execute(sql, {"day": day}).fetchall()


def _signed(value: float | None, unit: str = "%") -> str:
    return "n/a" if value is None else f"{value:+.2f}{unit}"


def day_summary(day: dt.date) -> str:
    """Indices, short selling ratios, southbound, themes, sectors and top movers of the day."""
    with warehouse.connect() as con:
        indices = _rows(con, """
            select index_code, close, change_pct, short_sell_ratio_pct, short_sell_ratio_change_pp
            from marts.market_summary where trade_date = $day order by index_code <> 'HSI', index_code""", day)
        southbound = _rows(con, """
            select channel, net_buy_hkd, ytd_net_buy_hkd, ytd_complete, ytd_sessions_loaded, ytd_sessions_expected
            from marts.southbound_daily where trade_date = $day order by channel = 'TOTAL' desc, channel""", day)
        themes = _rows(con, """
            select theme, avg_change_pct, best_stock_code, best_change_pct
            from marts.theme_daily where trade_date = $day order by avg_change_pct desc""", day)
        sectors = _rows(con, """
            select sector, avg_change_pct, advancers, decliners
            from marts.sector_daily where trade_date = $day order by avg_change_pct desc""", day)
        movers = _rows(con, """
            select direction, rank, stock_code, name, close, change_pct
            from marts.movers_daily where trade_date = $day and rank <= 5 order by direction, rank""", day)
    if not indices:
        return f"No marts for {day}: not a trading day, or not loaded yet."
    lines = [f"Hong Kong market, {day:%A %d %B %Y}", "", "Index       Close   Change  Short ratio  Change (pp)"]
    lines += [f"{code:<7}{close:>10,.2f}  {_signed(change):>7}  {ratio:>10.2f}%  {_signed(points, ''):>11}"
              for code, close, change, ratio, points in indices]
    lines += ["", "Southbound Stock Connect (net buy)"]
    lines += [f"  {channel:<6} HK${net / 1e9:>7.2f} bn   year to date HK${ytd / 1e9:>8.2f} bn"
              + ("" if complete else f"  (incomplete: {loaded} of {expected} sessions loaded)")
              for channel, net, ytd, complete, loaded, expected in southbound]
    lines += ["", "Themes (average move; best member)"]
    lines += [f"  {theme:<20} {_signed(avg):>7}   {best} {_signed(best_pct)}" for theme, avg, best, best_pct in themes]
    lines += ["", "Sectors (average move; advancers/decliners)"]
    lines += [f"  {sector:<26} {_signed(avg):>7}   {up:>3}/{down:<3}" for sector, avg, up, down in sectors]
    for direction in ("gainer", "loser"):
        lines += ["", f"Top {direction}s"]
        lines += [f"  {rank}. {code} {name or '':<28} {close:>9.3f}  {_signed(change)}"
                  for kind, rank, code, name, close, change in movers if kind == direction]
    return "\n".join(lines)
