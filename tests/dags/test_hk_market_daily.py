"""The real hk_market_daily DAG, run with dag.test() against temporary warehouses."""

import datetime as dt

import duckdb
import pandas as pd
import pytest

from hk_market.datasets.macro import live as macro_live
from hk_market.datasets.macro import sample as macro_sample
from hk_market.datasets.prices import live as prices_live
from hk_market.datasets.prices import sample as prices_sample
from hk_market.datasets.request import Request
from hk_market.datasets.short_selling import live as short_selling_live
from hk_market.datasets.short_selling import sample as short_selling_sample
from hk_market.datasets.southbound import live as southbound_live
from hk_market.datasets.southbound import sample as southbound_sample
from hk_market.hkex import daily_quotations

from .conftest import WRAP_DAY, query

MARTS = ("security_daily", "market_summary", "southbound_daily", "sector_daily", "theme_daily", "movers_daily")


def mart_contents(warehouse) -> dict[str, pd.DataFrame]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return {mart: con.execute(f"select * from marts.{mart} order by all").df() for mart in MARTS}


def test_first_run_into_an_empty_warehouse_also_loads_the_previous_session(wrap_warehouse):
    days = query(wrap_warehouse, "select distinct trade_date from marts.market_summary order by 1")
    assert [day for (day,) in days] == [dt.date(2024, 11, 13), WRAP_DAY]


def test_rerunning_a_day_leaves_every_mart_identical(run_daily, wrap_warehouse):
    before = mart_contents(wrap_warehouse)
    state, tasks = run_daily(WRAP_DAY, wrap_warehouse)
    assert state == "success", tasks
    after = mart_contents(wrap_warehouse)
    for mart in MARTS:
        pd.testing.assert_frame_equal(before[mart], after[mart], check_exact=True, obj=mart)


def test_a_non_trading_day_ends_as_skipped_not_failed(run_daily, tmp_path):
    warehouse = tmp_path / "hk_market.duckdb"
    state, tasks = run_daily(dt.date(2024, 12, 25), warehouse)
    assert state == "success"
    assert set(tasks.values()) == {"skipped"}, tasks


def test_change_pct_after_a_holiday_is_against_the_session_before_it(run_daily, tmp_path):
    warehouse = tmp_path / "hk_market.duckdb"
    state, tasks = run_daily(dt.date(2024, 10, 2), warehouse)  # 2024-10-01 is National Day
    assert state == "success", tasks
    rows = query(warehouse, """
        select after.stock_code, after.prev_close, before.close, after.change_pct,
               100 * (after.close / before.close - 1)
        from marts.security_daily as after
        join marts.security_daily as before
            on before.stock_code = after.stock_code and before.trade_date = date '2024-09-30'
        where after.trade_date = date '2024-10-02'""")
    assert len(rows) > 150
    for code, prev_close, close_before, change_pct, expected_pct in rows:
        assert prev_close == close_before, code
        assert change_pct == pytest.approx(expected_pct), code
    indices = query(warehouse, """
        select after.index_code, after.change_pct, 100 * (after.close / before.close - 1),
               after.short_sell_ratio_change_pp, after.short_sell_ratio_pct - before.short_sell_ratio_pct
        from marts.market_summary as after
        join marts.market_summary as before
            on before.index_code = after.index_code and before.trade_date = date '2024-09-30'
        where after.trade_date = date '2024-10-02'""")
    assert sorted(code for code, *_ in indices) == ["HSCEI", "HSI", "HSTECH"]
    for code, change_pct, expected_pct, change_pp, expected_pp in indices:
        assert change_pct == pytest.approx(expected_pct), code
        assert change_pp is not None and change_pp == pytest.approx(expected_pp), code


def test_a_failing_validation_fails_the_run_and_keeps_the_day_out_of_core_and_marts(
    run_daily, tmp_path, monkeypatch
):
    warehouse = tmp_path / "hk_market.duckdb"
    state, _ = run_daily(dt.date(2024, 11, 13), warehouse)
    assert state == "success"
    real_fetch = prices_sample.yahoo_frame

    def fetch_with_a_negative_close(sessions, full_market=False):
        frame = real_fetch(sessions, full_market)
        frame.loc[pd.Timestamp(WRAP_DAY), ("Close", "0700.HK")] = -1.0
        return frame

    monkeypatch.setattr(prices_sample, "yahoo_frame", fetch_with_a_negative_close)
    state, tasks = run_daily(WRAP_DAY, warehouse)
    assert state == "failed"
    assert tasks["validate_prices"] == "failed"
    assert tasks["load"] == "upstream_failed"
    for table in ("core.security_prices", "marts.security_daily", "marts.market_summary"):
        assert query(warehouse, f"select count(*) from {table} where trade_date = $day", {"day": WRAP_DAY}) == [(0,)]
    earlier = query(warehouse, "select count(*) from marts.security_daily where trade_date = date '2024-11-13'")
    assert earlier[0][0] > 150
    quarantined = query(warehouse, "select stock_code, close, expectation from audit.quarantine_prices")
    assert [(code, close) for code, close, _ in quarantined] == [("00700", -1.0)]
    assert "close" in quarantined[0][2]
    failed = query(warehouse, """
        select expectation, column_name from audit.validation_results
        where dataset = 'prices' and not success and severity = 'critical'""")
    assert failed


def test_the_source_is_read_once_per_run_so_a_change_mid_run_waits_for_the_next(run_daily, tmp_path, monkeypatch):
    from hk_market import pipeline

    real_extract = pipeline.extract

    def extract_then_flip_the_source(dataset, sessions, source=None):
        rows = real_extract(dataset, sessions, source)
        monkeypatch.setenv("HK_MARKET_SOURCE", "live")  # an operator switches source while the run is going
        return rows

    monkeypatch.delenv("HK_MARKET_SOURCE", raising=False)
    monkeypatch.setattr(pipeline, "extract", extract_then_flip_the_source)
    warehouse = tmp_path / "hk_market.duckdb"
    state, tasks = run_daily(WRAP_DAY, warehouse)
    assert state == "success", tasks
    sources = query(warehouse, "select source from raw.prices union select source from raw.southbound")
    assert sources == [("sample",)]


def test_a_live_day_loaded_before_hkex_published_its_turnover_gets_it_from_the_next_days_run(
    run_daily, tmp_path, monkeypatch
):
    earlier = dt.date(2024, 11, 13)
    # HKEX's page for the 13th, with a figure for Tencent inside its volume x the day's range, not the estimate
    page = prices_sample.fetch_daily_quotations(Request([earlier]))[0].replace("3,448,121,012", "3,450,000,000")
    published = {}  # day -> HKEX's Daily Quotations page, once it is out
    # Live upstreams answered offline: the sample market in Yahoo's and HKEX's shapes.
    monkeypatch.setattr(prices_live, "yahoo_frame", prices_sample.yahoo_frame)
    monkeypatch.setattr(short_selling_live, "fetch", short_selling_sample.fetch)
    monkeypatch.setattr(southbound_live, "fetch", southbound_sample.fetch)
    monkeypatch.setattr(macro_live, "fetch", macro_sample.fetch)
    monkeypatch.setattr(prices_live, "fetch_daily_quotations", lambda request: [
        published[day] for day in request.sessions if day in published])
    monkeypatch.setenv("HK_MARKET_SOURCE", "live")
    warehouse = tmp_path / "hk_market.duckdb"

    def loaded(sql: str) -> list[tuple]:
        return query(warehouse, sql, {"day": earlier})

    state, tasks = run_daily(earlier, warehouse)  # 17:30 on the 13th: HKEX's page is not out yet
    assert state == "success", tasks
    short_selling_before = loaded("select * from raw.short_selling where trade_date = $day order by stock_code")
    assert loaded("select bool_and(turnover_estimated) from raw.prices where trade_date = $day "
                  "and turnover_hkd is not null") == [(True,)]

    published[earlier] = page  # out that evening
    state, tasks = run_daily(WRAP_DAY, warehouse)
    assert state == "success", tasks
    hkex_turnover = daily_quotations.parse(page).set_index("stock_code")["turnover_hkd"]
    assert loaded("select turnover_hkd, turnover_estimated from raw.prices "
                  "where trade_date = $day and stock_code = '00700'") == [(hkex_turnover["00700"], False)]
    assert loaded("select turnover_hkd from marts.security_daily "
                  "where trade_date = $day and stock_code = '00700'") == [(hkex_turnover["00700"],)]
    # its short selling (GEM's included) stays as the day-close reports gave it
    assert loaded("select * from raw.short_selling where trade_date = $day order by stock_code") == short_selling_before
