"""The SQL models rebuilt for a window: the movers' ranking, and which later days a window's rebuild reaches."""

import datetime as dt

import duckdb
import pytest

from hk_market import calendar, pipeline, transform, warehouse

from .test_pipeline import run_window
from .warehouse_contents import assert_same_contents, contents

DAY = dt.date(2024, 11, 14)


@pytest.fixture
def con(tmp_path):
    with duckdb.connect(str(tmp_path / "movers.duckdb")) as con:
        warehouse.ensure_schema(con)
        yield con


def add_securities(con, day: dt.date, moves: dict[str, float], turnover_hkd: float = 50e6, close: float = 10.0):
    con.executemany(
        "insert into marts.security_daily (trade_date, stock_code, name, sector, close, change_pct, turnover_hkd) "
        "values ($day, $code, 'Name ' || $code, 'Sector', $close, $change_pct, $turnover_hkd)",
        [{"day": day, "code": code, "close": close, "change_pct": change_pct, "turnover_hkd": turnover_hkd}
         for code, change_pct in moves.items()])


def movers(con, day: dt.date) -> dict[str, list[tuple[int, str, float]]]:
    transform.rebuild(con, "marts", "movers_daily", day, day)
    rows = con.execute("select direction, rank, stock_code, change_pct from marts.movers_daily "
                       "where trade_date = $day order by direction, rank", {"day": day}).fetchall()
    return {direction: [(rank, code, pct) for d, rank, code, pct in rows if d == direction]
            for direction in ("gainer", "loser")}


def test_movers_are_the_ten_largest_moves_each_way_with_ties_going_to_the_lower_code(con):
    gains = {f"{code:05d}": 5.0 for code in range(100, 112)}  # twelve tied at the tenth place and above
    gains.update({"00050": 9.0, "00051": 1.0})
    losses = {"00200": -3.0, "00201": -7.0, "00202": -3.0}  # fewer than ten
    add_securities(con, DAY, gains | losses | {"00300": 0.0})
    add_securities(con, DAY, {"00400": 50.0}, turnover_hkd=1e6)  # under the liquidity floor
    add_securities(con, DAY, {"00401": -50.0}, close=0.3)

    found = movers(con, DAY)

    assert found["gainer"] == [(1, "00050", 9.0), *[(rank, f"{code:05d}", 5.0)
                                                    for rank, code in enumerate(range(100, 109), start=2)]]
    assert found["loser"] == [(1, "00201", -7.0), (2, "00200", -3.0), (3, "00202", -3.0)]


def test_a_day_without_a_gainer_has_only_losers(con):
    add_securities(con, DAY, {"00001": -1.0, "00002": 0.0})
    assert movers(con, DAY) == {"gainer": [], "loser": [(1, "00001", -1.0)]}


def test_rebuilding_a_window_mid_year_gives_the_marts_a_rebuild_of_the_whole_year_gives(scratch_warehouse):
    sessions = calendar.sessions(dt.date(2024, 3, 4), dt.date(2024, 3, 12))
    run_window(sessions)
    changed = sessions[3]
    with warehouse.connect() as con:  # a reload of one day with other figures
        con.execute("update raw.short_selling set short_turnover_hkd = short_turnover_hkd / 2 "
                    "where trade_date = $day", {"day": changed})
        con.execute("update raw.southbound set buy_hkd = buy_hkd + 1e9 where trade_date = $day", {"day": changed})

    assert pipeline.build([changed]) == sessions[-1]
    window_only = contents(scratch_warehouse, ("core", "marts"))
    pipeline.build(sessions)
    everything = contents(scratch_warehouse, ("core", "marts"))

    assert_same_contents(window_only, everything)
    day_after = everything["marts.market_summary"].query("trade_date == @sessions[4]")
    assert day_after["short_sell_ratio_change_pp"].notna().all()


def test_an_index_short_selling_ratio_is_its_constituents_short_turnover_over_their_turnover(scratch_warehouse):
    run_window(calendar.sessions(dt.date(2024, 11, 13), DAY))
    with warehouse.connect(read_only=True) as con:
        rows = con.execute("""
            with constituents as (
                select c.index_code, p.trade_date, sum(p.turnover_hkd) as turnover_hkd,
                       sum(coalesce(s.short_turnover_hkd, 0)) as short_turnover_hkd
                from core.security_prices as p
                join core.index_constituents as c using (stock_code)
                left join core.short_selling as s using (trade_date, stock_code)
                group by all
            )
            select m.index_code, m.short_sell_ratio_pct, 100 * c.short_turnover_hkd / c.turnover_hkd
            from marts.market_summary as m
            join constituents as c using (index_code, trade_date)
            where m.trade_date = $day""", {"day": DAY}).fetchall()
    assert len(rows) == 3
    for index_code, ratio_pct, expected_pct in rows:
        assert ratio_pct == pytest.approx(expected_pct), index_code


def test_reloading_a_years_last_session_brings_the_next_years_first_ratio_change_up_to_date(scratch_warehouse):
    sessions = calendar.sessions(dt.date(2023, 12, 27), dt.date(2024, 1, 3))
    run_window(sessions)
    last_of_year = dt.date(2023, 12, 29)
    with warehouse.connect() as con:  # a reload of the year's last session with other figures
        con.execute("update raw.short_selling set short_turnover_hkd = short_turnover_hkd / 2 "
                    "where trade_date = $day", {"day": last_of_year})

    pipeline.build([last_of_year])
    window_only = contents(scratch_warehouse, ("core", "marts"))
    pipeline.build(sessions)

    assert_same_contents(window_only, contents(scratch_warehouse, ("core", "marts")))
