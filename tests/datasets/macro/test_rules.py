"""The macro dataset's quality rules: what fails a day (named with the dataset, the day and the cause) and what is
only flagged."""

import datetime as dt

import pandas as pd
import pytest

from hk_market import expectations, landing, pipeline
from hk_market.datasets.macro import parse, sample
from hk_market.datasets.request import Request
from hk_market.expectations import DataQualityError

DAY = dt.date(2024, 11, 14)


@pytest.fixture
def day() -> pd.DataFrame:
    return parse.landing(sample.fetch(Request([DAY])))


def at(frame: pd.DataFrame, ticker: str, **values) -> pd.DataFrame:
    frame = frame.copy()
    for column, value in values.items():
        frame.loc[frame["instrument"] == ticker, column] = value
    return frame


def failures(frame: pd.DataFrame) -> list[str]:
    return [outcome.label for outcome in expectations.validate("macro", frame, [DAY]).critical_failures]


def test_the_samples_day_passes_every_rule(day):
    report = expectations.validate("macro", day, [DAY])
    assert report.success and not report.warnings


@pytest.mark.parametrize(("broken", "failed"), [
    ({"close": -91_051.0}, "expect_column_values_to_be_between(close)"),
    ({"close": float("inf")}, "expect_column_values_to_be_between(close)"),
    ({"prev_close": 0.0}, "expect_column_values_to_be_between(prev_close)"),
    ({"prev_close": None}, "expect_column_values_to_not_be_null(prev_close)"),
    ({"close_date": pd.Timestamp("2024-11-15")}, "expect_column_values_to_be_between(close_age_days)"),
    ({"close_date": pd.Timestamp("2024-10-31")}, "expect_column_values_to_be_between(close_age_days)"),
    ({"instrument": "ETH-USD"}, "expect_column_values_to_be_in_set(instrument)"),
])
def test_a_broken_row_fails_the_day(day, broken, failed):
    assert failures(at(day, "BTC-USD", **broken)) == [failed]


def test_two_rows_of_one_instrument_on_a_day_fail(day):
    assert failures(pd.concat([day, day.iloc[[0]]], ignore_index=True)) == [
        "expect_compound_columns_to_be_unique(trade_date, instrument)"]


def test_a_move_beyond_its_instruments_limit_is_flagged_and_the_day_loads(day):
    def five_pct_up(ticker: str) -> pd.DataFrame:
        return at(day, ticker, close=day.loc[day["instrument"] == ticker, "prev_close"].item() * 1.05)

    report = expectations.validate("macro", five_pct_up("DX-Y.NYB"), [DAY])  # the dollar index's limit: 3 %
    assert report.success
    assert [outcome.label for outcome in report.warnings] == [
        "expect_column_values_to_be_null(change_pct_beyond_limit)"]
    assert list(report.failing_rows["instrument"]) == ["DX-Y.NYB"]
    assert expectations.validate("macro", five_pct_up("BTC-USD"), [DAY]).warnings == []  # Bitcoin's: 25 %


def test_a_bad_landed_day_fails_validation_naming_dataset_day_and_cause_and_is_quarantined(scratch_warehouse, day):
    landing.write("macro", at(day, "GC=F", close=-1.0), [DAY])
    with pytest.raises(DataQualityError) as failed:
        pipeline.validate("macro", [DAY], "bad-macro")
    assert str(failed.value).startswith(
        "macro 2024-11-14: 1 critical expectation failed: expect_column_values_to_be_between(close) 1 unexpected")
    import duckdb

    with duckdb.connect(str(scratch_warehouse), read_only=True) as con:
        assert con.execute("select instrument, close from audit.quarantine_macro").fetchall() == [("GC=F", -1.0)]
