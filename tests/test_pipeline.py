"""The library path (what the DAG's tasks call), on a few sessions of the sample market."""

import datetime as dt

import duckdb
import pytest

from hk_market import calendar, expectations, landing, pipeline
from hk_market.datasets.prices import live, sample
from hk_market.datasets.request import Request
from hk_market.registry import NAMES
from hk_market.sources.errors import SourceDataError


def run_window(sessions: list[dt.date], run_id: str = "test") -> None:
    for dataset in NAMES:
        pipeline.extract(dataset, sessions)
        pipeline.validate(dataset, sessions, run_id)
    pipeline.load(sessions, run_id, "sample")
    pipeline.build(sessions)


def southbound_ytd(warehouse) -> dict:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return {day: (complete, ytd) for day, complete, ytd in con.execute(
            "select trade_date, ytd_complete, ytd_net_buy_hkd from marts.southbound_daily where channel = 'TOTAL'"
        ).fetchall()}


def test_ytd_is_complete_only_when_every_southbound_day_of_the_year_is_loaded(scratch_warehouse):
    january = calendar.sessions(dt.date(2024, 1, 2), dt.date(2024, 1, 12))
    run_window(january[3:])
    assert not any(complete for complete, _ in southbound_ytd(scratch_warehouse).values())
    run_window(january[:3])
    ytd = southbound_ytd(scratch_warehouse)
    assert all(complete for complete, _ in ytd.values())
    assert len(ytd) == len(january)


def test_loading_an_earlier_window_later_brings_later_days_year_to_date_up_to_date(scratch_warehouse):
    days = calendar.sessions(dt.date(2024, 3, 4), dt.date(2024, 3, 8))
    run_window(days[2:])
    before = southbound_ytd(scratch_warehouse)[days[-1]][1]
    run_window(days[:2])
    ytd = southbound_ytd(scratch_warehouse)
    assert ytd[days[-1]][1] == pytest.approx(before + ytd[days[1]][1])  # the two earlier days now count


def test_plan_loads_the_previous_session_only_when_the_warehouse_lacks_it(scratch_warehouse):
    day = dt.date(2024, 11, 14)
    assert pipeline.plan_window(day) == [dt.date(2024, 11, 13), day]
    run_window([dt.date(2024, 11, 13)])
    assert pipeline.plan_window(day) == [day]


def test_planning_a_holiday_says_it_is_not_a_trading_day(scratch_warehouse):
    with pytest.raises(pipeline.NotATradingDay, match="2024-12-25 is not an HKEX trading day"):
        pipeline.plan_window(dt.date(2024, 12, 25))


def test_planning_a_day_after_today_in_hong_kong_fails_naming_the_day_and_today(scratch_warehouse):
    with pytest.raises(ValueError, match=r"2026-12-15 is in the future \(today in Hong Kong is 2026-12-02\)"):
        pipeline.plan_window(dt.date(2026, 12, 15), today=dt.date(2026, 12, 2))
    assert pipeline.plan_window(dt.date(2026, 12, 2), today=dt.date(2026, 12, 2))[-1] == dt.date(2026, 12, 2)
    next_year = dt.date.today() + dt.timedelta(days=365)
    with pytest.raises(ValueError, match=f"{next_year} is in the future"):
        pipeline.plan_window(next_year)


def test_a_failed_validation_names_dataset_day_and_expectation(scratch_warehouse):
    day = [dt.date(2024, 11, 14)]
    pipeline.extract("prices", day)
    frame = landing.read("prices", day)
    frame.loc[frame["stock_code"] == "00700", "close"] = -1.0
    landing.write("prices", frame, day)
    with pytest.raises(expectations.DataQualityError) as failure:
        pipeline.validate("prices", day, "test")
    message = str(failure.value)
    assert message.startswith("prices 2024-11-14: ")
    assert "(close)" in message


def test_live_turnover_estimated_before_the_daily_quotations_is_refreshed_by_a_later_run(scratch_warehouse,
                                                                                          monkeypatch):
    day, published = dt.date(2024, 11, 13), {"pages": []}  # HKEX's page for the 13th: not out, then out
    # HKEX's figure for Tencent, inside its volume x the day's range but not the sample's estimate
    page = sample.fetch_daily_quotations(Request([day]))[0].replace("3,448,121,012", "3,450,000,000")
    monkeypatch.setattr(live, "yahoo_frame", sample.yahoo_frame)  # the network's yfinance frame, offline
    monkeypatch.setattr(live, "fetch_daily_quotations", lambda request: published["pages"])

    def turnover(code: str) -> tuple:
        with duckdb.connect(str(scratch_warehouse), read_only=True) as con:
            return con.execute("select turnover_hkd, turnover_estimated from raw.prices "
                               "where trade_date = $day and stock_code = $code", {"day": day, "code": code}).fetchone()

    pipeline.extract("prices", [day], "live")
    pipeline.validate("prices", [day], "at-17:30", source="live")
    pipeline.load([day], "at-17:30", "live", ("prices",))
    assert turnover("00700")[1] is True
    assert pipeline.estimated_turnover(dt.date(2024, 11, 14), "live") == [day]
    assert pipeline.estimated_turnover(dt.date(2024, 11, 14), "sample") == []  # its turnover comes with its prices

    published["pages"] = [page]
    assert pipeline.refresh_turnover(pipeline.estimated_turnover(dt.date(2024, 11, 14), "live"), "live") > 0
    assert turnover("00700") == (3_450_000_000.0, False)  # HKEX's printed turnover
    assert pipeline.estimated_turnover(dt.date(2024, 11, 14), "live") == []
    with duckdb.connect(str(scratch_warehouse), read_only=True) as con:  # the marts were rebuilt with it
        assert con.execute("select turnover_hkd from marts.security_daily where trade_date = $day "
                           "and stock_code = '00700'", {"day": day}).fetchone() == (3_450_000_000,)


def test_a_printed_turnover_that_disagrees_with_volume_and_prices_is_not_applied(scratch_warehouse, monkeypatch,
                                                                                 caplog):
    day, published = dt.date(2024, 11, 13), {"pages": []}
    page = sample.fetch_daily_quotations(Request([day]))[0]
    monkeypatch.setattr(live, "yahoo_frame", sample.yahoo_frame)
    monkeypatch.setattr(live, "fetch_daily_quotations", lambda request: published["pages"])
    pipeline.extract("prices", [day], "live")
    pipeline.load([day], "at-17:30", "live", ("prices",))
    published["pages"] = [page.replace("3,448,121,012", "3,448,121,012,000")]  # Tencent's turnover x1000

    assert pipeline.refresh_turnover([day], "live") == 1  # the page's other stocks are applied
    with duckdb.connect(str(scratch_warehouse), read_only=True) as con:
        assert con.execute("select turnover_estimated, turnover_hkd < 1e11 from raw.prices where trade_date = $day "
                           "and stock_code = '00700'", {"day": day}).fetchone() == (True, True)
    assert "1 printed turnovers lie outside volume x the day's range and were not applied" in caplog.text
    assert "00700 on 2024-11-13" in caplog.text


def test_turnover_that_cannot_be_refreshed_stays_flagged_for_the_next_run(scratch_warehouse, monkeypatch, caplog):

    day = dt.date(2024, 11, 13)
    monkeypatch.setattr(live, "yahoo_frame", sample.yahoo_frame)
    monkeypatch.setattr(live, "fetch_daily_quotations", lambda request: [])
    pipeline.extract("prices", [day], "live")
    pipeline.load([day], "at-17:30", "live", ("prices",))

    def unreadable(request):
        raise SourceDataError("d241113e.htm is for 2024-11-12, not 2024-11-13")

    monkeypatch.setattr(live, "fetch_daily_quotations", unreadable)
    assert pipeline.refresh_turnover([day], "live") == 0  # the run goes on to build its own day
    assert "turnover of 2024-11-13 stays estimated for now: d241113e.htm is for 2024-11-12" in caplog.text
    assert pipeline.estimated_turnover(dt.date(2024, 11, 14), "live") == [day]


def test_gem_short_selling_is_unknown_not_zero_on_a_session_read_from_daily_quotations_alone(scratch_warehouse):
    earlier, latest = dt.date(2024, 11, 13), dt.date(2024, 11, 14)
    run_window([earlier, latest])
    with duckdb.connect(str(scratch_warehouse)) as con:
        unsold, sold = (con.execute(f"""
            select min(stock_code) from core.security_prices as p
            where trade_date = $day and stock_code {kind} (select stock_code from core.short_selling
                                                           where trade_date = $day)""", {"day": earlier}).fetchone()[0]
                        for kind in ("not in", "in"))
        main_board_unsold = con.execute("""
            select max(stock_code) from core.security_prices where trade_date = $day
            and stock_code not in (select stock_code from core.short_selling where trade_date = $day)""",
            {"day": earlier}).fetchone()[0]
        con.execute("update core.securities set board = 'GEM' where stock_code in ($unsold, $sold)",
                    {"unsold": unsold, "sold": sold})
        # as a live backfill reads a session before the latest: the Main Board's Daily Quotations page alone
        con.execute("update raw.short_selling set from_daily_quotations = true where trade_date = $day",
                    {"day": earlier})
    pipeline.build([earlier, latest])
    with duckdb.connect(str(scratch_warehouse), read_only=True) as con:
        short = dict(((day, code), (hkd, ratio)) for day, code, hkd, ratio in con.execute(
            "select trade_date, stock_code, short_turnover_hkd, short_sell_ratio_pct from marts.security_daily"
        ).fetchall())
    assert short[earlier, unsold] == (None, None)  # GEM, not reported that session: unknown
    assert short[earlier, sold][0] > 0
    assert short[earlier, main_board_unsold] == (0, 0)
    assert short[latest, unsold][0] is not None  # the day-close reports cover GEM too


def test_a_session_without_short_selling_loaded_shows_it_as_unknown_not_zero(scratch_warehouse):
    from hk_market.publish import report

    day = dt.date(2024, 11, 14)
    pipeline.extract("prices", [day])
    pipeline.validate("prices", [day], "prices-only")
    pipeline.load([day], "prices-only", "sample", ("prices",))  # a backfill of prices alone
    pipeline.build([day])
    with duckdb.connect(str(scratch_warehouse), read_only=True) as con:
        assert con.execute("select count(*), count(short_turnover_hkd), count(short_sell_ratio_pct) "
                           "from marts.security_daily").fetchone()[1:] == (0, 0)
        assert con.execute("select count(short_sell_ratio_pct) from marts.market_summary").fetchone() == (0,)
    summary = report.day_summary(day, scratch_warehouse)
    assert "HSI     19,435.81   -1.96%          n/a" in summary
