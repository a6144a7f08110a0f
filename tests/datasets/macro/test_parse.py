"""The macro parse on a frame in yf.download's layout: each session's latest close on or before it, per instrument."""

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from hk_market.datasets.macro import parse

FIXTURE = Path(__file__).parents[2] / "fixtures" / "yahoo" / "macro_2024-11-17_to_2024-11-29.csv"
THANKSGIVING = dt.date(2024, 11, 28)  # an HKEX session; the US markets are shut
SESSIONS = [dt.date(2024, 11, 27), THANKSGIVING, dt.date(2024, 11, 29)]


@pytest.fixture
def download() -> pd.DataFrame:
    return pd.read_csv(FIXTURE, header=[0, 1], index_col=0, parse_dates=True, comment="#")


def rows(frame: pd.DataFrame) -> dict[tuple[dt.date, str], tuple]:
    return {(row.trade_date.date(), row.instrument): (row.close_date.date(), row.close, row.prev_close)
            for row in frame.itertuples()}


def test_each_session_takes_each_instruments_latest_close_and_the_close_before_it(download):
    landed = rows(parse.landing(parse.Upstream(download, SESSIONS)))
    assert len(landed) == 4 * len(SESSIONS)
    assert landed[(SESSIONS[0], "DX-Y.NYB")] == (SESSIONS[0], 106.06, 106.96)
    assert landed[(SESSIONS[2], "BTC-USD")] == (SESSIONS[2], 97461.52, 95652.47)  # Bitcoin's previous calendar day


def test_a_session_on_a_us_holiday_keeps_the_previous_us_close_for_the_dollar_index_and_gold(download):
    landed = rows(parse.landing(parse.Upstream(download, SESSIONS)))
    assert landed[(THANKSGIVING, "DX-Y.NYB")] == (dt.date(2024, 11, 27), 106.06, 106.96)
    assert landed[(THANKSGIVING, "GC=F")] == (dt.date(2024, 11, 27), 2638.9, 2620.3)
    assert landed[(THANKSGIVING, "BTC-USD")][0] == THANKSGIVING
    # The next US day's move is against the close before the holiday, the dollar index's own previous day.
    assert landed[(dt.date(2024, 11, 29), "DX-Y.NYB")] == (dt.date(2024, 11, 29), 105.74, 106.06)


def test_a_ticker_yfinance_failed_to_download_has_no_rows_and_the_others_load(download):
    download[[("Close", "GC=F"), ("Adj Close", "GC=F")]] = float("nan")
    landed = parse.landing(parse.Upstream(download, SESSIONS))
    assert set(landed["instrument"]) == {"BTC-USD", "CNH=X", "DX-Y.NYB"}


def test_the_landing_frame_has_the_landing_schema(download):
    frame = parse.landing(parse.Upstream(download, SESSIONS))
    assert {column: str(dtype) for column, dtype in frame.dtypes.items()} == {
        "trade_date": "datetime64[s]", "instrument": "string", "close_date": "datetime64[s]", "close": "float64",
        "prev_close": "float64"}


def test_the_download_reaches_back_far_enough_for_a_close_before_a_long_closure():
    first, end = parse.window([dt.date(2024, 11, 14)])
    assert (first, end) == (dt.date(2024, 11, 4), dt.date(2024, 11, 15))  # yfinance's end is exclusive


def with_cell(frame: pd.DataFrame, day: str, column: tuple[str, str], value) -> pd.DataFrame:
    broken = frame.astype(object)
    broken.loc[day, column] = value
    return broken


@pytest.mark.parametrize(("break_it", "message"), [
    (lambda frame: frame.drop(columns="Close", level="Price"), "macro: the frame has no Close column"),
    (lambda frame: frame["Close"], "macro: the frame's columns are not yfinance's (Price, Ticker) pairs"),
    (lambda frame: with_cell(frame, "2024-11-26", ("Close", "BTC-USD"), "n/a"),
     "macro: BTC-USD on 2024-11-26 has a close that is not a number: 'n/a'"),
    (lambda frame: pd.concat([frame, frame.loc[["2024-11-27"]]]), "macro: BTC-USD has two closes dated 2024-11-27"),
])
def test_bad_input_is_refused_naming_the_dataset_the_day_and_the_cause(download, break_it, message):
    with pytest.raises(ValueError) as refused:
        parse.landing(parse.Upstream(break_it(download), SESSIONS))
    assert str(refused.value) == message
