"""Stock Connect southbound turnover per channel, from HKEX's daily statistics file (data_tab_daily_{YYYYMMDD}e.js)."""

import datetime as dt
import json
import re
from decimal import Decimal, DecimalException

import pandas as pd

from hk_market.datasets.southbound.schema import LANDING_SCHEMA
from hk_market.hkex.figures import calendar_date
from hk_market.sources.errors import SourceDataError

SOUTHBOUND_CHANNELS = {"SSE Southbound": "SSE", "SZSE Southbound": "SZSE"}
HKD_PER_MILLION = 1_000_000
PRINTED_UNIT_HKD = 10_000  # HK$0.01 million: Total, Buy and Sell are each rounded to it
CEILING_HKD = 1e16  # no channel trades HK$10 quadrillion a day: a figure at or above it is a broken file
TRADING_DAY_FLAGS = (0, 1)
_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_TAB_DATA = re.compile(r"\A\ufeff?\s*tabData\s*=\s*(?P<json>\[.*\])\s*;?\s*\Z", re.DOTALL)


def parse(raw: str) -> pd.DataFrame:
    """The landing frame of one data_tab_daily_{YYYYMMDD}e.js file: a row per trading southbound channel.

    The file is `tabData = [...]`, one element per market with "date", "market", "tradingDay" and
    "content", whose first table is the summary: labels in schema[0], one tr per label with its value
    in td[0][0], in HK$ million with thousands separators. Buy, Sell and Total Turnover are looked up
    by label and converted to HKD; whether Total is Buy + Sell is left to validation, which records and
    quarantines a file that disagrees with itself. Northbound markets are ignored; a southbound market
    with tradingDay 0 gives no row, so a day without southbound trading gives an empty frame.

    Raises SourceDataError, naming the file's day where it has one, for a file that is not a complete
    `tabData = [...]` (an HTML error page, truncated JSON), markets of no one day in the XHKG calendar, a
    market missing or listed twice, a missing field, summary table or label, a tradingDay other than the
    number 0 or 1, or a value that is not a finite, non-negative amount under CEILING_HKD.
    """
    return _landing_frame(_southbound_rows(raw))


def parse_many(raws: list[str]) -> pd.DataFrame:
    """parse() over many files, concatenated."""
    return _landing_frame([row for raw in raws for row in _southbound_rows(raw)])


landing = parse_many  # the registry's name for the landing frame of what a fetch returned


def file_date(raw: str) -> dt.date:
    """The day a file is for: the date its markets share (raises SourceDataError as parse() does)."""
    return _file_date(_markets(raw))


def _file_date(markets: list[dict]) -> dt.date:
    dates = {str(market.get("date")) for market in markets}
    if len(dates) != 1:
        raise SourceDataError(f"HKEX Stock Connect file's markets have dates {sorted(dates)[:4]}, not one")
    printed = dates.pop()
    ymd = _DATE.fullmatch(printed)
    if ymd is None:
        raise SourceDataError(f"HKEX Stock Connect file's date {printed!r} is not a YYYY-MM-DD date")
    return calendar_date(*ymd.groups(), printed, "HKEX Stock Connect file")


def _southbound_rows(raw: str) -> list[dict]:
    markets = _markets(raw)
    day = _file_date(markets)
    names = [market.get("market") for market in markets]
    rows = []
    for name, channel in SOUTHBOUND_CHANNELS.items():
        if names.count(name) != 1:
            listed = "has no" if name not in names else f"lists {names.count(name)} times the"
            raise SourceDataError(f"HKEX Stock Connect file of {day} {listed} {name} market")
        market = markets[names.index(name)]
        trading = _field(market, "tradingDay", day)
        if type(trading) is not int or trading not in TRADING_DAY_FLAGS:
            raise SourceDataError(f"HKEX Stock Connect file of {day}: {name} tradingDay is {trading!r}, not 0 or 1")
        if trading:
            rows.append(_channel_row(market, channel, day))
    return rows


def _markets(raw: str) -> list[dict]:
    match = _TAB_DATA.match(raw)
    if match is None:
        raise SourceDataError(f"not a complete HKEX Stock Connect 'tabData = [...]' file: starts {raw[:80]!r}")
    try:
        markets = json.loads(match["json"])
    except (json.JSONDecodeError, RecursionError) as error:
        raise SourceDataError(f"HKEX Stock Connect file's tabData is not valid JSON: {error}") from None
    if not isinstance(markets, list) or not all(isinstance(market, dict) for market in markets):
        raise SourceDataError("HKEX Stock Connect file's tabData is not a list of markets")
    return markets


def _field(market: dict, key: str, day: dt.date):
    if key not in market:
        raise SourceDataError(f"HKEX Stock Connect file of {day}: {market.get('market')} has no {key!r}")
    return market[key]


def _channel_row(market: dict, channel: str, day: dt.date) -> dict:
    where = f"HKEX Stock Connect file of {day}: {market['market']}"
    summary = _summary(_field(market, "content", day), where)
    return {"trade_date": day, "channel": channel, "buy_hkd": _hkd(summary, "Buy Turnover", where),
            "sell_hkd": _hkd(summary, "Sell Turnover", where),
            "total_turnover_hkd": _hkd(summary, "Total Turnover", where)}


def _summary(content, where: str) -> dict[str, object]:
    """The summary table as label -> printed value."""
    try:
        table = content[0]["table"]
        labels, values = list(table["schema"][0]), [row["td"][0][0] for row in table["tr"]]
    except (KeyError, IndexError, TypeError):
        raise SourceDataError(f"{where} has no summary table (schema labels with one tr per label)") from None
    if len(labels) != len(values):
        raise SourceDataError(f"{where} summary has {len(labels)} labels but {len(values)} values")
    summary = {str(label).strip(): value for label, value in zip(labels, values, strict=True)}
    if len(summary) != len(labels):
        raise SourceDataError(f"{where} summary prints a label twice: {labels}")
    return summary


def _hkd(summary: dict[str, object], label: str, where: str) -> float:
    if label not in summary:
        raise SourceDataError(f"{where} summary has no {label!r}: its labels are {list(summary)[:10]}")
    printed = summary[label]
    try:
        hkd = Decimal(str(printed).replace(",", "")) * HKD_PER_MILLION
    except DecimalException:  # not a number, or one beyond what a decimal holds
        raise SourceDataError(f"{where} {label} is {printed!r}, not an amount in HK$ million") from None
    if not hkd.is_finite() or hkd < 0 or hkd >= Decimal(CEILING_HKD):
        raise SourceDataError(f"{where} {label} is {printed!r} HK$ million: not a finite amount from 0 to under "
                              f"HK${CEILING_HKD:,.0f}")
    return float(hkd)


def _landing_frame(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=list(LANDING_SCHEMA))
    frame["trade_date"] = pd.to_datetime(frame["trade_date"])
    return frame.astype(LANDING_SCHEMA)
