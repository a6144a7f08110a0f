"""HKEX Stock Connect daily file: parse() on hand-written files and on the sample renderer's."""

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest

from hk_market.datasets.southbound.parse import parse, parse_many
from hk_market.datasets.southbound.schema import LANDING_SCHEMA
from hk_market.sample.hkex_formats import render_stock_connect_js
from hk_market.sources.errors import SourceDataError

FIXTURES = Path(__file__).parents[1] / "fixtures" / "hkex_stock_connect"


def _file(name: str) -> str:
    return (FIXTURES / name).read_text()


@pytest.fixture
def trading_day() -> str:
    return _file("data_tab_daily_20241114e.js")


def _frame(rows: list[tuple[str, str, float, float, float]]) -> pd.DataFrame:
    records = [(pd.Timestamp(day), channel, *amounts) for day, channel, *amounts in rows]
    return pd.DataFrame(records, columns=list(LANDING_SCHEMA)).astype(LANDING_SCHEMA)


def _markets(raw: str) -> list[dict]:
    return json.loads(raw.split("=", 1)[1].strip().rstrip(";"))


def _tab_data(markets: list[dict]) -> str:
    return f"tabData = {json.dumps(markets)};"


def test_a_trading_day_parses_to_southbound_buy_sell_and_total_in_hkd(trading_day):
    expected = _frame([
        ("2024-11-14", "SSE", 36_512_370_000.0, 24_103_520_000.0, 60_615_890_000.0),
        ("2024-11-14", "SZSE", 24_876_440_000.0, 17_625_290_000.0, 42_501_730_000.0),
    ])
    pd.testing.assert_frame_equal(parse(trading_day), expected)


def test_parsed_frame_has_the_landing_columns_and_dtypes_in_order(trading_day):
    assert parse(trading_day).dtypes.astype(str).to_dict() == LANDING_SCHEMA
    assert list(parse(trading_day).columns) == list(LANDING_SCHEMA)


def test_a_non_trading_day_gives_an_empty_frame_with_the_landing_dtypes():
    frame = parse(_file("data_tab_daily_20241003e.js"))
    assert frame.empty
    assert frame.dtypes.astype(str).to_dict() == LANDING_SCHEMA


def test_a_southbound_channel_closed_on_its_own_gives_only_the_other(trading_day):
    markets = _markets(trading_day)
    markets[3] = {**markets[3], "tradingDay": 0, "content": []}
    assert parse(_tab_data(markets))["channel"].tolist() == ["SSE"]


def test_labels_are_looked_up_by_name_when_hkex_reorders_them(trading_day):
    markets = _markets(trading_day)
    table = markets[1]["content"][0]["table"]
    order = [2, 0, 6, 1, 3, 5, 4]
    table["schema"][0] = [table["schema"][0][i] for i in order]
    table["tr"] = [table["tr"][i] for i in order]
    assert table["tr"][0]["td"][0][0] == "24,103.52"  # Sell Turnover now comes first
    pd.testing.assert_frame_equal(parse(_tab_data(markets)), parse(trading_day))


def test_a_missing_label_raises_naming_it(trading_day):
    markets = _markets(trading_day)
    table = markets[3]["content"][0]["table"]
    table["schema"][0] = [label for label in table["schema"][0] if label != "Buy Turnover"]
    del table["tr"][1]
    with pytest.raises(SourceDataError, match="SZSE Southbound summary has no 'Buy Turnover'"):
        parse(_tab_data(markets))


def test_a_value_that_is_not_a_number_raises(trading_day):
    with pytest.raises(SourceDataError, match="SSE Southbound Buy Turnover is '-'"):
        parse(trading_day.replace('"36,512.37"', '"-"'))


def test_an_html_error_page_raises():
    with pytest.raises(SourceDataError, match="not a complete HKEX Stock Connect 'tabData"):
        parse(_file("error_page.html"))


def test_a_truncated_file_raises(trading_day):
    with pytest.raises(SourceDataError, match="not a complete HKEX Stock Connect 'tabData"):
        parse(trading_day[: len(trading_day) // 2])


def test_broken_json_inside_tab_data_raises(trading_day):
    with pytest.raises(SourceDataError, match="not valid JSON"):
        parse(trading_day.replace('"tradingDay":1', '"tradingDay":', 1))


def test_a_file_without_a_southbound_market_raises(trading_day):
    markets = [market for market in _markets(trading_day) if market["market"] != "SZSE Southbound"]
    with pytest.raises(SourceDataError, match="no SZSE Southbound market"):
        parse(_tab_data(markets))


@pytest.mark.parametrize("printed", ["Infinity", "-Infinity", "NaN", "-1.00", "10,000,000,000.00", "1e12"])
def test_a_value_that_is_not_a_finite_non_negative_amount_under_the_ceiling_raises(trading_day, printed):
    with pytest.raises(SourceDataError, match=f"HKEX Stock Connect file of 2024-11-14: SSE Southbound Buy Turnover "
                                              f"is '{printed}' HK\\$ million: not a finite amount from 0 to under "
                                              f"HK\\$10,000,000,000,000,000"):
        parse(trading_day.replace('"36,512.37"', f'"{printed}"'))


def test_a_value_beyond_what_a_decimal_holds_raises_as_not_an_amount(trading_day):
    with pytest.raises(SourceDataError, match="Buy Turnover is '1e999999', not an amount in HK\\$ million"):
        parse(trading_day.replace('"36,512.37"', '"1e999999"'))


def test_a_market_listed_twice_raises_rather_than_the_last_winning(trading_day):
    markets = _markets(trading_day)
    with pytest.raises(SourceDataError, match="file of 2024-11-14 lists 2 times the SSE Southbound market"):
        parse(_tab_data([*markets, markets[1]]))


@pytest.mark.parametrize("flag", ["0", "1", True, 2, None])
def test_a_trading_day_flag_other_than_the_number_0_or_1_raises(trading_day, flag):
    markets = _markets(trading_day)
    markets[1]["tradingDay"] = flag
    with pytest.raises(SourceDataError, match=f"SSE Southbound tradingDay is {flag!r}, not 0 or 1"):
        parse(_tab_data(markets))


@pytest.mark.parametrize("date, cause", [
    ("-2024-11-14", "date '-2024-11-14' is not a YYYY-MM-DD date"),
    ("9999-11-14", "file is dated '9999-11-14': 9999-11-14 is outside the XHKG calendar"),
    ("2024-11-31", "file is dated '2024-11-31': no such date"),
])
def test_a_date_outside_the_calendar_raises_naming_it(trading_day, date, cause):
    with pytest.raises(SourceDataError, match=cause):
        parse(trading_day.replace("2024-11-14", date))


@pytest.mark.parametrize("tab_data", [
    '[{"market": []}]', '[{"market": "SSE Southbound", "date": "2024-11-14", "tradingDay": 1, "content": "x"}]',
    '[[]]', '[{"date": ["2024-11-14"]}]',
])
def test_a_malformed_structure_raises_the_projects_error_not_a_type_error(tab_data):
    with pytest.raises(SourceDataError, match="HKEX Stock Connect file"):
        parse(f"tabData = {tab_data};")


def test_parse_many_concatenates_files_and_skips_non_trading_days(trading_day):
    frame = parse_many([_file("data_tab_daily_20241003e.js"), trading_day, trading_day])
    assert len(frame) == 4
    assert frame.dtypes.astype(str).to_dict() == LANDING_SCHEMA


def test_a_rendered_file_parses_back_to_flows_rounded_to_ten_thousand_hkd():
    flows = {"SSE": (36_512_374_321.0, 24_103_515_000.0), "SZSE": (24_876_440_000.0, 5_004.0)}
    expected = _frame([
        ("2024-11-14", "SSE", 36_512_370_000.0, 24_103_520_000.0, 60_615_890_000.0),
        ("2024-11-14", "SZSE", 24_876_440_000.0, 10_000.0, 24_876_450_000.0),
    ])
    pd.testing.assert_frame_equal(parse(render_stock_connect_js(dt.date(2024, 11, 14), flows)), expected)


def test_a_rendered_file_prints_hk_dollar_millions_with_two_decimals_and_all_four_markets():
    flows = {"SSE": (36_512_370_000.0, 0.0), "SZSE": (1e10, 5e9)}
    raw = render_stock_connect_js(dt.date(2024, 11, 14), flows)
    markets = _markets(raw)
    assert [market["market"] for market in markets] == [
        "SSE Northbound", "SSE Southbound", "SZSE Northbound", "SZSE Southbound"]
    assert markets[1]["content"][0]["table"]["tr"][1]["td"][0][0] == "36,512.37"
    assert markets[3]["content"][0]["table"]["tr"][0]["td"][0][0] == "15,000.00"


def test_a_rendered_day_without_southbound_parses_to_an_empty_frame():
    raw = render_stock_connect_js(dt.date(2024, 10, 3), None)
    assert all(market["tradingDay"] == 0 for market in _markets(raw))
    assert parse(raw).empty
