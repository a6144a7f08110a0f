"""Data quality gates: hk_market.rules run by hk_market.expectations on tiny landing frames, and the
Data Docs site (hk_market.data_docs_site)."""

import datetime as dt
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from hk_market import data_docs_site, expectations, registry, rules
from hk_market.datasets.prices import schema as prices_schema
from hk_market.datasets.short_selling import schema as short_selling_schema
from hk_market.datasets.southbound import schema as southbound_schema
from hk_market.expectations import DataQualityError, raise_for_failures, validate

DAY = dt.date(2024, 11, 14)
NEXT_DAY = dt.date(2024, 11, 15)


def price_frame(securities: int = 20, day: dt.date = DAY) -> pd.DataFrame:
    """The three indices and `securities` stocks, all on a quiet 5% up day."""
    codes = ["HSI", "HSCEI", "HSTECH", *(f"{number:05d}" for number in range(1, securities + 1))]
    return pd.DataFrame(
        {
            "trade_date": pd.Timestamp(day),
            "stock_code": codes,
            "open": 10.0,
            "high": 11.0,
            "low": 9.0,
            "close": 10.5,
            "prev_close": 10.0,
            "volume": 1_000,
            "turnover_hkd": 10_500.0,
            "turnover_estimated": True,
            "split_ratio": 1.0,
        }
    ).astype(prices_schema.LANDING_SCHEMA)


def short_selling_frame(stocks: int = 10) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "trade_date": pd.Timestamp(DAY),
            "stock_code": [f"{number:05d}" for number in range(1, stocks + 1)],
            "short_shares": 5_000,
            "short_turnover_hkd": 52_500.0,
            "from_daily_quotations": False,
        }
    ).astype(short_selling_schema.LANDING_SCHEMA)


def southbound_frame(channels: tuple[str, ...] = ("SSE", "SZSE")) -> pd.DataFrame:
    return pd.DataFrame(
        {"trade_date": pd.Timestamp(DAY), "channel": list(channels), "buy_hkd": 4.0e10, "sell_hkd": 3.5e10,
         "total_turnover_hkd": 7.5e10}
    ).astype(southbound_schema.LANDING_SCHEMA)


def edited(frame: pd.DataFrame, row: int, **values) -> pd.DataFrame:
    """A copy of frame with some of one row's values replaced."""
    frame = frame.copy()
    for column, value in values.items():
        frame.loc[row, column] = value
    return frame


CLEAN_FRAMES = {"prices": price_frame, "short_selling": short_selling_frame, "southbound": southbound_frame}


@pytest.mark.parametrize("dataset", sorted(CLEAN_FRAMES))
def test_a_clean_frame_passes_with_no_failing_rows(dataset):
    report = validate(dataset, CLEAN_FRAMES[dataset](), [DAY])

    assert report.success, report.critical_failures
    assert all(outcome.success for outcome in report.outcomes)
    assert report.failing_rows.empty
    raise_for_failures(report)


def test_a_passing_expectation_says_how_many_rows_it_checked():
    report = validate("prices", price_frame(), [DAY])

    observed = {outcome.label: outcome.observed for outcome in report.outcomes}
    assert observed["expect_column_values_to_be_between(close)"] == "0 unexpected of 23"


def test_negative_close_fails_naming_dataset_day_and_expectation():
    report = validate("prices", edited(price_frame(), 5, close=-1.0), [DAY])

    with pytest.raises(DataQualityError) as raised:
        raise_for_failures(report)

    message = str(raised.value)
    assert message.startswith("prices 2024-11-14: ")
    assert "expect_column_values_to_be_between(close) 1 unexpected of 23 [e.g. -1.0]" in message
    assert raised.value.dataset == "prices"
    assert raised.value.sessions == [DAY]
    assert "expect_column_values_to_be_between(close)" in [failure.label for failure in raised.value.failures]


CRITICAL_BREAKS = {
    "duplicate key": (
        "prices",
        lambda: pd.concat([price_frame(), price_frame().iloc[[4]]]),
        "expect_compound_columns_to_be_unique(trade_date, stock_code)",
    ),
    "null stock code": (
        "prices",
        lambda: edited(price_frame(), 4, stock_code=None),
        "expect_column_values_to_not_be_null(stock_code)",
    ),
    "day outside the sessions": (
        "prices",
        lambda: pd.concat([price_frame(), price_frame(day=NEXT_DAY)]),
        "expect_column_values_to_be_in_set(trade_date)",
    ),
    "missing column": ("prices", lambda: price_frame().drop(columns="volume"), "expect_table_columns_to_match_set"),
    "zero prev close": (
        "prices",
        lambda: edited(price_frame(), 4, prev_close=0.0),
        "expect_column_values_to_be_between(prev_close)",
    ),
    "negative volume": (
        "prices",
        lambda: edited(price_frame(), 4, volume=-1),
        "expect_column_values_to_be_between(volume)",
    ),
    "close above high": (
        "prices",
        lambda: edited(price_frame(), 4, close=11.5),
        "expect_column_pair_values_a_to_be_greater_than_b(high, close)",
    ),
    "open below low": (
        "prices",
        lambda: edited(price_frame(), 4, open=8.5),
        "expect_column_pair_values_a_to_be_greater_than_b(open, low)",
    ),
    "volume as float": (
        "prices",
        lambda: price_frame().astype({"volume": "float64"}),
        "expect_column_values_to_be_in_type_list(volume)",
    ),
    "null high": (
        "prices",
        lambda: edited(price_frame(), 4, high=None),
        "expect_column_values_to_not_be_null(high)",
    ),
    "an index missing": (
        "prices",
        lambda: price_frame().iloc[1:],
        "expect_column_distinct_values_to_contain_set(stock_code)",
    ),
    "four digit stock code": (
        "prices",
        lambda: edited(price_frame(), 4, stock_code="0700"),
        "expect_column_values_to_match_regex(stock_code)",
    ),
    "HSI up 20%": (
        "prices",
        lambda: edited(price_frame(), 0, high=12.0, close=12.0),
        "expect_column_values_to_be_between(index_change_pct)",
    ),
    "too few rows in the session": (
        "prices",
        lambda: price_frame(securities=10),
        "expect_column_values_to_be_between(session_rows)",
    ),
    "negative short shares": (
        "short_selling",
        lambda: edited(short_selling_frame(), 3, short_shares=-5),
        "expect_column_values_to_be_between(short_shares)",
    ),
    "negative short turnover": (
        "short_selling",
        lambda: edited(short_selling_frame(), 3, short_turnover_hkd=-1.0),
        "expect_column_values_to_be_between(short_turnover_hkd)",
    ),
    "index code in short selling": (
        "short_selling",
        lambda: edited(short_selling_frame(), 3, stock_code="HSI"),
        "expect_column_values_to_match_regex(stock_code)",
    ),
    "unknown channel": (
        "southbound",
        lambda: southbound_frame(channels=("SSE", "HKEX")),
        "expect_column_values_to_be_in_set(channel)",
    ),
    "negative buy turnover": (
        "southbound",
        lambda: edited(southbound_frame(), 0, buy_hkd=-1.0),
        "expect_column_values_to_be_between(buy_hkd)",
    ),
    "negative sell turnover": (
        "southbound",
        lambda: edited(southbound_frame(), 1, sell_hkd=-1.0),
        "expect_column_values_to_be_between(sell_hkd)",
    ),
    "total turnover not buy + sell, so net buy is not buy - sell": (
        "southbound",
        lambda: edited(southbound_frame(), 0, total_turnover_hkd=7.6e10),
        "expect_column_values_to_be_between(total_minus_buy_and_sell_hkd)",
    ),
    "one channel only": (
        "southbound",
        lambda: southbound_frame(channels=("SSE",)),
        "expect_column_values_to_be_between(session_rows)",
    ),
}


@pytest.mark.parametrize(("dataset", "make_frame", "label"), CRITICAL_BREAKS.values(), ids=CRITICAL_BREAKS)
def test_each_critical_rule_fails_naming_dataset_day_and_expectation(dataset, make_frame, label):
    report = validate(dataset, make_frame(), [DAY])

    assert not report.success
    assert label in [failure.label for failure in report.critical_failures]
    with pytest.raises(DataQualityError, match=rf"^{dataset} 2024-11-14: .*{re.escape(label)}"):
        raise_for_failures(report)


def test_a_missing_session_fails_naming_the_days_and_the_missing_one():
    report = validate("prices", price_frame(), [DAY, NEXT_DAY])

    with pytest.raises(DataQualityError) as raised:
        raise_for_failures(report)

    assert str(raised.value).startswith("prices 2024-11-14 to 2024-11-15 (2 sessions): 1 critical expectation")
    assert "expect_column_distinct_values_to_contain_set(trade_date) 1 missing [e.g. 2024-11-15]" in str(
        raised.value
    )


def test_failing_rows_hold_exactly_the_bad_rows_with_their_index_and_the_expectation_broken():
    frame = price_frame().set_index(pd.RangeIndex(100, 123))
    frame.loc[[104, 110], "volume"] = -1

    report = validate("prices", frame, [DAY])

    assert list(report.failing_rows.index) == [104, 110]
    assert list(report.failing_rows.columns) == [*prices_schema.LANDING_SCHEMA, "expectation"]
    assert set(report.failing_rows["expectation"]) == {"expect_column_values_to_be_between(volume)"}
    pd.testing.assert_frame_equal(report.failing_rows.drop(columns="expectation"), frame.loc[[104, 110]])


def test_a_row_breaking_two_expectations_is_listed_once_naming_both():
    report = validate("prices", edited(price_frame(), 7, volume=-1, stock_code="700"), [DAY])

    assert list(report.failing_rows.index) == [7]
    assert report.failing_rows.loc[7, "expectation"] == (
        "expect_column_values_to_be_between(volume); expect_column_values_to_match_regex(stock_code)"
    )


def test_failing_rows_list_every_bad_row_even_beyond_what_a_summary_lists():
    frame = price_frame(securities=expectations.ROWS_LISTED_IN_SUMMARY + 200)
    bad = frame.index[3:-100]
    frame.loc[bad, "volume"] = -1

    report = validate("prices", frame, [DAY])

    assert len(bad) > expectations.ROWS_LISTED_IN_SUMMARY
    assert report.failing_rows.index.equals(bad)
    assert report.critical_failures[0].observed.startswith(f"{len(bad)} unexpected of {len(frame)}")


def test_a_warning_only_failure_leaves_success_true_and_raises_nothing():
    stock_up_60_percent = edited(price_frame(), 4, high=16.0, close=16.0)  # its turnover still fits its range

    report = validate("prices", stock_up_60_percent, [DAY])

    assert report.success
    raise_for_failures(report)
    assert [warning.label for warning in report.warnings] == [
        "expect_column_values_to_be_between(security_change_pct)"
    ]
    assert report.warnings[0].observed == "1 unexpected of 23 [e.g. 60.0]"
    assert list(report.failing_rows.index) == [4]


@pytest.mark.parametrize(
    ("row", "close", "severity"),
    [(0, 12.0, "critical"), (0, 11.0, None), (4, 12.0, None), (4, 16.0, "warning")],
    ids=["HSI up 20%", "HSI up 10%", "stock up 20%", "stock up 60%"],
)
def test_an_index_move_over_15_percent_is_critical_and_a_stock_move_over_50_percent_a_warning(
    row, close, severity
):
    report = validate("prices", edited(price_frame(), row, high=close, close=close), [DAY])

    assert [outcome.severity for outcome in report.outcomes if not outcome.success] == ([severity] if severity else [])
    assert report.success is (severity != "critical")


def test_an_empty_southbound_frame_on_a_non_southbound_session_passes():
    empty = southbound_frame(channels=())

    report = validate("southbound", empty, [DAY], expected_sessions=[])

    assert report.success
    assert report.failing_rows.empty


def test_an_empty_southbound_frame_fails_when_the_session_expects_flows():
    report = validate("southbound", southbound_frame(channels=()), [DAY])

    assert [failure.label for failure in report.critical_failures] == [
        "expect_column_distinct_values_to_contain_set(trade_date)"
    ]


def test_each_session_must_cover_a_share_of_the_universe_size_the_caller_gives():
    eight_rows = price_frame(securities=5)

    assert not validate("prices", eight_rows, [DAY]).success  # no universe given: at least 20 rows
    assert validate("prices", eight_rows, [DAY], universe_size=10).success  # 80 % of 10
    report = validate("prices", eight_rows, [DAY], universe_size=20)
    assert [failure.label for failure in report.critical_failures] == [
        "expect_column_values_to_be_between(session_rows)"
    ]


def test_short_turnover_above_what_the_stocks_volume_can_have_traded_for_is_critical():
    landed_prices = price_frame().assign(volume=10_000)  # at most 10,000 x 11.0 of turnover per stock
    short_sales = edited(short_selling_frame(), 2, short_turnover_hkd=120_000.0)

    assert validate("short_selling", short_selling_frame(), [DAY], prices=landed_prices).success
    report = validate("short_selling", short_sales, [DAY], prices=landed_prices)

    assert [failure.label for failure in report.critical_failures] == [
        "expect_column_pair_values_a_to_be_greater_than_b(max_turnover_hkd, short_turnover_hkd)",
        "expect_column_values_to_be_between(short_price_beyond_day_range_pct)",
    ]
    assert report.critical_failures[0].observed == "1 unexpected of 10 [e.g. (110000.0, 120000.0)]"
    assert report.critical_failures[1].observed == "1 unexpected of 10 [e.g. 118.177851]"  # HK$24 a share vs 11
    assert list(report.failing_rows.index) == [2]


def test_short_turnover_is_bounded_by_the_first_prices_row_of_its_stock_on_its_day():
    landed_prices = pd.concat(
        [price_frame().assign(volume=10_000), price_frame(day=NEXT_DAY).assign(volume=1),
         price_frame().assign(volume=20_000)]
    ).astype({"trade_date": "datetime64[ms]"})  # as Parquet keeps it
    short_sales = edited(short_selling_frame(), 2, short_turnover_hkd=120_000.0)

    report = validate("short_selling", short_sales, [DAY], prices=landed_prices)

    observed = [failure.observed for failure in report.critical_failures]
    assert observed == ["1 unexpected of 10 [e.g. (110000.0, 120000.0)]", "1 unexpected of 10 [e.g. 118.177851]"]


def test_short_selling_of_a_stock_without_prices_is_not_held_to_a_turnover():
    prices_of_other_stocks = price_frame().assign(stock_code=lambda frame: "9" + frame["stock_code"].str[1:])

    assert validate("short_selling", short_selling_frame(), [DAY], prices=prices_of_other_stocks).success


def test_data_docs_list_every_validation_run_with_a_page_each(scratch_warehouse):
    clean = validate("prices", price_frame(), [DAY])
    broken = validate("prices", edited(price_frame(), 5, close=-1.0), [DAY])

    clean_page = data_docs_site.build(clean, "run_clean")
    broken_page = data_docs_site.build(broken, "run_broken")

    site = data_docs_site.site_dir()
    assert site.parent == scratch_warehouse.parent.parent / "gx"  # beside the landing zone
    pages = sorted(path.relative_to(site).parts[:3] for path in site.glob("validations/**/*.html"))
    assert pages == [("validations", "prices", "run_broken"), ("validations", "prices", "run_clean")]
    assert sorted([clean_page, broken_page]) == sorted(site.glob("validations/**/*.html"))
    index = (site / "index.html").read_text()
    assert "run_clean" in index and "run_broken" in index
    assert (site / "expectations" / "prices.html").exists()


def test_an_expectation_configuration_follows_its_fields_after_a_validation():
    import great_expectations as gx

    validate("prices", price_frame(securities=1_200).assign(volume=-1), [DAY])  # re-runs its failures for rows
    expectation = gx.expectations.ExpectColumnValuesToNotBeNull(column="buy_hkd")
    assert expectation.configuration.kwargs["column"] == "buy_hkd"

    expectation.column = "sell_hkd"

    assert expectation.configuration.kwargs["column"] == "sell_hkd"


def test_an_unknown_dataset_is_rejected_by_name():
    with pytest.raises(ValueError, match="unknown dataset 'trades'"):
        validate("trades", price_frame(), [DAY])


@pytest.mark.parametrize("module", ["rules", "expectations", "data_docs_site"])
def test_importing_the_quality_modules_does_not_import_great_expectations(module):
    check = f"import hk_market.{module}, sys; assert 'great_expectations' not in sys.modules"

    subprocess.run([sys.executable, "-c", check], check=True)


def test_great_expectations_logs_nothing_below_a_warning_when_it_validates():
    # At import it logged one 'Skipping registering function' line per function it indexes: 213 of a task's 231.
    script = (
        "import logging, sys; logging.basicConfig(level=logging.INFO, stream=sys.stdout)\n"
        "sys.path.insert(0, 'tests'); from test_quality import DAY, price_frame, edited\n"
        "from hk_market.expectations import validate\n"
        "validate('prices', edited(price_frame(), 5, close=-1.0), [DAY])\n"
    )
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).parents[1])

    assert "great_expectations" not in run.stdout + run.stderr
    assert run.stdout.startswith("WARNING:hk_market.expectations:prices 2024-11-14: ")  # the project's own


def test_a_data_docs_failure_is_logged_and_never_fails_the_validation(scratch_warehouse, caplog):
    data_docs_site.site_dir().parent.mkdir(parents=True)
    data_docs_site.site_dir().write_text("a file where the site's folder goes")

    page = data_docs_site.build(validate("prices", price_frame(), [DAY]), "run")

    assert page is None
    assert "prices 2024-11-14: Data Docs not updated" in caplog.text


@pytest.mark.parametrize("dataset", sorted(CLEAN_FRAMES))
def test_each_expectation_of_a_suite_has_its_own_label(dataset):
    # Failed expectations are matched to their detailed re-runs, and failing rows to what they broke, by label.
    labels = [outcome.label for outcome in validate(dataset, CLEAN_FRAMES[dataset](), [DAY]).outcomes]
    assert len(labels) == len(set(labels))


def loaded_closes(close: float = 10.0, day: dt.date = dt.date(2024, 11, 13)) -> pd.DataFrame:
    """What the warehouse holds for the session before DAY: every code of price_frame() closed at `close`."""
    codes = price_frame()["stock_code"]
    return pd.DataFrame({"trade_date": pd.Timestamp(day), "stock_code": codes, "close": close})


def failed_labels(report) -> list[str]:
    return [failure.label for failure in report.critical_failures]


def test_prev_close_agreeing_with_the_close_loaded_passes_to_the_rounding_of_a_price_step():
    assert validate("prices", price_frame(), [DAY], history=loaded_closes(10.001)).success
    assert validate("prices", price_frame(), [DAY], history=loaded_closes(10.09)).success  # within 1 %


def test_a_look_back_close_30_percent_off_the_close_loaded_fails_for_every_stock():
    report = validate("prices", price_frame(), [DAY], history=loaded_closes(10.0 / 1.3))

    assert failed_labels(report) == ["expect_column_values_to_be_between(prev_close_off_previous_close_pct)"]
    assert report.critical_failures[0].observed.startswith("23 unexpected of 23 [e.g. 29.98")


def test_a_stocks_prices_scaled_on_both_rows_are_caught_against_the_loaded_history():
    frame = price_frame()
    frame.loc[4, ["open", "high", "low", "close", "prev_close", "turnover_hkd"]] *= 1e6  # consistent within the day

    report = validate("prices", frame, [DAY], history=loaded_closes())

    assert failed_labels(report) == ["expect_column_values_to_be_between(prev_close_off_previous_close_pct)"]
    assert list(report.failing_rows.index) == [4]


def test_a_missing_look_back_fails_naming_the_stocks_whose_previous_close_is_known():
    no_look_back = price_frame().assign(prev_close=float("nan"))

    report = validate("prices", no_look_back, [DAY], history=loaded_closes())

    assert failed_labels(report) == ["expect_column_values_to_be_null(stock_without_lookback_prev_close)"]
    assert report.critical_failures[0].observed == "23 unexpected of 23 [e.g. 00001, 00002, 00003]"


def test_without_loaded_history_an_index_without_prev_close_still_fails_and_a_new_listing_passes():
    new_listing = edited(price_frame(), 4, prev_close=None)
    index_without_look_back = edited(price_frame(), 0, prev_close=None)

    assert validate("prices", new_listing, [DAY]).success
    report = validate("prices", index_without_look_back, [DAY])
    assert failed_labels(report) == ["expect_column_values_to_be_null(stock_without_lookback_prev_close)"]
    assert report.critical_failures[0].observed == "1 unexpected of 23 [e.g. HSI]"


def test_prev_close_is_checked_against_the_previous_sessions_row_of_the_same_frame():
    next_day = price_frame(day=NEXT_DAY).assign(prev_close=10.5)  # DAY's close
    two_days = pd.concat([price_frame(day=DAY), edited(next_day, 5, prev_close=13.0)], ignore_index=True)

    report = validate("prices", two_days, [DAY, NEXT_DAY])

    assert failed_labels(report) == ["expect_column_values_to_be_between(prev_close_off_previous_close_pct)"]
    assert list(report.failing_rows.index) == [23 + 5]


SPLIT_FLAGGED = "expect_column_values_to_be_null(declared_split_ratio)"


def split_two_for_one(frame: pd.DataFrame, row: int, declared: bool = True) -> pd.DataFrame:
    """The frame with one stock on the ex-date of a 2-for-1 split as Yahoo sends it: its prices halved, its volume
    doubled, its prev_close (the look-back's close) re-scaled to the new shares, and the split declared or not."""
    frame = frame.copy()
    frame.loc[row, ["open", "high", "low", "close", "prev_close"]] /= 2
    frame.loc[row, "volume"] *= 2
    frame.loc[row, "split_ratio"] = 2.0 if declared else 1.0
    return frame


def test_a_split_yahoo_declares_passes_against_the_loaded_close_and_is_flagged():
    report = validate("prices", split_two_for_one(price_frame(), 4), [DAY], history=loaded_closes())

    assert report.success
    assert [warning.label for warning in report.warnings] == [SPLIT_FLAGGED]
    assert report.warnings[0].observed == "1 unexpected of 23 [e.g. 2.0]"
    assert list(report.failing_rows.index) == [4]


def test_the_same_split_undeclared_fails_naming_the_stock():
    report = validate("prices", split_two_for_one(price_frame(), 4, declared=False), [DAY], history=loaded_closes())

    assert failed_labels(report) == ["expect_column_values_to_be_between(prev_close_off_previous_close_pct)"]
    assert report.critical_failures[0].observed.startswith("1 unexpected of 23 [e.g. -49.99")
    assert report.failing_rows.loc[4, "stock_code"] == "00002"


@pytest.mark.parametrize("ratio", [3.0, 0.5], ids=["another ratio than the re-scaling", "the inverse ratio"])
def test_a_split_declared_with_a_ratio_that_does_not_match_the_re_scaling_still_fails(ratio):
    frame = split_two_for_one(price_frame(), 4).assign(split_ratio=lambda f: f["split_ratio"].where(
        f.index != 4, ratio))

    report = validate("prices", frame, [DAY], history=loaded_closes())

    assert failed_labels(report) == ["expect_column_values_to_be_between(prev_close_off_previous_close_pct)"]


def test_a_split_declared_later_in_a_frame_scales_the_first_sessions_prev_close_against_the_loaded_close():
    # Split on NEXT_DAY: Yahoo re-scales every close before it, DAY's and the look-back's alike, so within the
    # frame the closes agree and only DAY's prev_close against the loaded close needs NEXT_DAY's ratio.
    first = split_two_for_one(price_frame(day=DAY), 4).assign(split_ratio=1.0)
    second = split_two_for_one(price_frame(day=NEXT_DAY).assign(prev_close=10.5), 4)
    two_days = pd.concat([first, second], ignore_index=True)

    report = validate("prices", two_days, [DAY, NEXT_DAY], history=loaded_closes())

    assert report.success, failed_labels(report)
    assert [warning.label for warning in report.warnings] == [SPLIT_FLAGGED]
    assert list(report.failing_rows.index) == [23 + 4]
    undeclared = validate("prices", two_days.assign(split_ratio=1.0), [DAY, NEXT_DAY], history=loaded_closes())
    assert failed_labels(undeclared) == ["expect_column_values_to_be_between(prev_close_off_previous_close_pct)"]
    assert list(undeclared.failing_rows.index) == [4]


@pytest.mark.parametrize("ratio", [0.0, -2.0])
def test_a_split_ratio_that_is_not_above_zero_fails(ratio):
    report = validate("prices", edited(price_frame(), 4, split_ratio=ratio), [DAY])

    assert "expect_column_values_to_be_between(split_ratio)" in failed_labels(report)


@pytest.mark.parametrize(
    ("turnover_hkd", "volume", "fails"),
    [(10_500.0, 1_000, False), (9_000.0, 1_000, False), (11_000.0, 1_000, False), (10_500_000.0, 1_000, True),
     (0.0, 1_000, True), (10_500.0, 0, True), (0.0, 0, False), (8_000.0, 1_000, True)],
    ids=["inside", "at the low", "at the high", "x1000", "0 for shares traded", "an amount for no shares",
         "nothing traded", "20 % under the low"],
)
def test_turnover_must_lie_within_volume_times_the_days_range(turnover_hkd, volume, fails):
    report = validate("prices", edited(price_frame(), 6, turnover_hkd=turnover_hkd, volume=volume), [DAY])

    label = "expect_column_values_to_be_between(turnover_price_beyond_day_range_pct)"
    assert (label in failed_labels(report)) is fails


@pytest.mark.parametrize(("close", "observed"), [(98.0, "880.0"), (6.0, "-40.0"), (1e13, "99999999999900.0")])
def test_an_index_move_beyond_its_limit_fails(close, observed):
    frame = edited(price_frame(), 0, open=close, high=close, low=close, close=close, turnover_hkd=None)  # no turnover

    report = validate("prices", frame, [DAY])

    assert failed_labels(report) == ["expect_column_values_to_be_between(index_change_pct)"]
    assert report.critical_failures[0].observed == f"1 unexpected of 23 [e.g. {observed}]"


def short_sales_against(**values) -> list[str]:
    """The critical failures of short_selling_frame() with stock 00003 edited, against prices of 13 m shares."""
    landed_prices = price_frame().assign(volume=13_000_000, turnover_hkd=13_000_000 * 10.5)
    return failed_labels(validate("short_selling", edited(short_selling_frame(), 2, **values), [DAY],
                                  prices=landed_prices))


def test_short_shares_above_the_day_volume_fail():
    assert "expect_column_pair_values_a_to_be_greater_than_b(day_volume, short_shares)" in short_sales_against(
        short_shares=10_000_000_000
    )


@pytest.mark.parametrize(("short_shares", "short_turnover_hkd"), [(100, 557e6), (0, 557e6), (1_000_000, 0.0)])
def test_short_turnover_far_from_short_shares_times_the_days_range_fails(short_shares, short_turnover_hkd):
    failures = short_sales_against(short_shares=short_shares, short_turnover_hkd=short_turnover_hkd)

    assert "expect_column_values_to_be_between(short_price_beyond_day_range_pct)" in failures


def test_short_sales_within_the_day_volume_and_range_pass():
    assert short_sales_against(short_shares=1_000_000, short_turnover_hkd=10_000_000.0) == []


@pytest.mark.parametrize(
    ("channel_values", "label"),
    [({"buy_hkd": 1e15, "sell_hkd": 0.0, "total_turnover_hkd": 1e15}, "expect_column_values_to_be_between(buy_hkd)"),
     ({"buy_hkd": float("inf"), "total_turnover_hkd": float("inf")}, "expect_column_values_to_be_between(buy_hkd)"),
     ({"buy_hkd": 0.0, "sell_hkd": 0.0, "total_turnover_hkd": 0.0},
      "expect_column_values_to_be_between(total_turnover_hkd)")],
    ids=["HK$1e15 with a consistent total", "infinite", "no flows on a southbound day"],
)
def test_southbound_flows_are_finite_under_the_ceiling_and_above_zero_on_a_trading_day(channel_values, label):
    assert label in failed_labels(validate("southbound", edited(southbound_frame(), 0, **channel_values), [DAY]))


def test_a_market_listed_twice_fails_as_two_rows_for_one_channel():
    report = validate("southbound", southbound_frame(channels=("SSE", "SZSE", "SSE")), [DAY])

    assert "expect_compound_columns_to_be_unique(trade_date, channel)" in failed_labels(report)


def test_rows_of_a_day_outside_the_calendar_or_after_today_fail_naming_the_day():
    christmas = dt.date(2024, 12, 25)
    tomorrow = dt.date.today() + dt.timedelta(days=400)  # after today in Hong Kong, whatever the time of day
    for day, label in [(christmas, "trade_date_not_a_session"), (tomorrow, "trade_date_after_today_hk")]:
        report = validate("prices", price_frame(day=day), [day])

        failures = {failure.label: failure.observed for failure in report.critical_failures}
        assert failures[f"expect_column_values_to_be_null({label})"] == f"23 unexpected of 23 [e.g. {day}]"


def test_every_check_says_what_it_stops_in_the_data_dictionary():
    for dataset in registry.NAMES:
        assert all(rule.meaning for rule in rules.suite_rules(dataset)), dataset


def test_a_failure_in_a_chunk_of_sessions_names_the_days_its_rows_broke_on():
    two_days = pd.concat([price_frame(day=DAY), edited(price_frame(day=NEXT_DAY), 5, close=-1.0)], ignore_index=True)
    two_days.loc[23:, "prev_close"] = 10.5  # DAY's close

    with pytest.raises(DataQualityError) as raised:
        raise_for_failures(validate("prices", two_days, [DAY, NEXT_DAY]))

    assert str(raised.value).startswith("prices 2024-11-14 to 2024-11-15 (2 sessions): ")
    assert "expect_column_values_to_be_between(close) 1 unexpected of 46 [e.g. -1.0] on 2024-11-15" in str(raised.value)
