"""core.macro_closes and marts.macro_daily as the pipeline builds them from the sample: a driver's close on its own
calendar, its move against its own previous close. (tests/test_models.py checks every model against its YAML.)"""

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from hk_market import pipeline

THANKSGIVING_WEEK = [dt.date(2024, 11, 27), dt.date(2024, 11, 28), dt.date(2024, 11, 29)]


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> Path:
    """The macro dataset alone loaded for Thanksgiving week through the pipeline's steps."""
    path = tmp_path_factory.mktemp("macro") / "hk_market.duckdb"
    with pytest.MonkeyPatch.context() as env:
        env.setenv("HK_MARKET_WAREHOUSE", str(path))
        env.setenv("HK_MARKET_LANDING", str(path.parent / "landing"))
        pipeline.extract("macro", THANKSGIVING_WEEK)
        pipeline.validate("macro", THANKSGIVING_WEEK, "thanksgiving", data_docs=False)
        pipeline.load(THANKSGIVING_WEEK, "thanksgiving", datasets=("macro",))
    return path


def query(warehouse: Path, sql: str, params: dict | None = None) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql, params or {}).fetchall()


def test_a_session_on_a_us_holiday_takes_the_previous_us_close_and_its_move(warehouse):
    rows = query(warehouse, "select trade_date, close_date, close, change_pct from marts.macro_daily "
                            "where instrument = 'GC=F' order by trade_date")
    (wednesday, _, close, change_pct), (thursday, close_date, holiday_close, holiday_change_pct), _ = rows
    assert (thursday, close_date) == (dt.date(2024, 11, 28), wednesday)
    assert (holiday_close, holiday_change_pct) == (close, change_pct)
    bitcoin = query(warehouse, "select close_date from marts.macro_daily "
                               "where instrument = 'BTC-USD' and trade_date = '2024-11-28'")
    assert bitcoin == [(dt.date(2024, 11, 28),)]


def test_change_pct_is_against_the_instruments_own_previous_close(warehouse):
    rows = query(warehouse, "select close, prev_close, change_pct from marts.macro_daily")
    assert len(rows) == 4 * len(THANKSGIVING_WEEK)
    assert all(change_pct == pytest.approx((close / prev_close - 1) * 100) for close, prev_close, change_pct in rows)

