"""Stock Connect southbound turnover per channel, from HKEX's daily statistics file."""

import datetime as dt
import json
import re
from decimal import Decimal, InvalidOperation

import pandas as pd

LANDING_SCHEMA = {
    "trade_date": "datetime64[s]",
    "channel": "string",             # 'SSE' (Shanghai-HK) or 'SZSE' (Shenzhen-HK) southbound
    "buy_hkd": "float64",
    "sell_hkd": "float64",
    "total_turnover_hkd": "float64",  # HKEX's own Total: validation checks it is buy + sell, so net = buy - sell holds
}

SOUTHBOUND_CHANNELS = {"SSE Southbound": "SSE", "SZSE Southbound": "SZSE"}
HKD_PER_MILLION = 1_000_000
PRINTED_UNIT_HKD = 10_000  # HK$0.01 million: Total, Buy and Sell are each rounded to it
_TAB_DATA = re.compile(r"\A\ufeff?\s*tabData\s*=\s*(?P<json>\[.*\])\s*;?\s*\Z", re.DOTALL)


def parse(raw: str) -> pd.DataFrame:
    """The landing frame of one data_tab_daily_{YYYYMMDD}e.js file: a row per trading southbound channel.

    The file is `tabData = [...]`, one element per market with "date", "market", "tradingDay" and
    "content", whose first table is the summary: labels in schema[0], one tr per label with its value
    in td[0][0], in HK$ million with thousands separators. Buy, Sell and Total Turnover are looked up
    by label and converted to HKD; whether Total is Buy + Sell is left to validation, which records and
    quarantines a file that disagrees with itself. Northbound markets are ignored; a southbound market
    with tradingDay 0 gives no row, so a day without southbound trading gives an empty frame.

    Raises ValueError for a file that is not a complete `tabData = [...]` (an HTML error page,
    truncated JSON), a missing southbound market, field, summary table or label, or a value that is
    not a number.
    """
    return _landing_frame(_southbound_rows(raw))


def parse_many(raws: list[str]) -> pd.DataFrame:
    """parse() over many files, concatenated."""
    return _landing_frame([row for raw in raws for row in _southbound_rows(raw)])


def file_date(raw: str) -> dt.date:
    """The day a file is for: the date its markets share (raises ValueError as parse() does)."""
    dates = {market.get("date") for market in _markets(raw)}
    if len(dates) != 1:
        raise ValueError(f"HKEX Stock Connect file's markets have dates {sorted(map(str, dates))}, not one")
    day = dates.pop()
    try:
        return dt.date.fromisoformat(str(day))
    except ValueError:
        raise ValueError(f"HKEX Stock Connect file's date {day!r} is not YYYY-MM-DD") from None


def _southbound_rows(raw: str) -> list[dict]:
    markets = _markets(raw)
    by_name = {market.get("market"): market for market in markets}
    missing = [name for name in SOUTHBOUND_CHANNELS if name not in by_name]
    if missing:
        raise ValueError(f"HKEX Stock Connect daily file has no {' or '.join(missing)} market")
    southbound = [by_name[name] for name in SOUTHBOUND_CHANNELS]
    return [_channel_row(market) for market in southbound if _field(market, "tradingDay") != 0]


def _markets(raw: str) -> list[dict]:
    match = _TAB_DATA.match(raw)
    if match is None:
        raise ValueError(f"not a complete HKEX Stock Connect 'tabData = [...]' file: starts {raw[:80]!r}")
    try:
        markets = json.loads(match["json"])
    except json.JSONDecodeError as error:
        raise ValueError(f"HKEX Stock Connect file's tabData is not valid JSON: {error}") from None
    if not all(isinstance(market, dict) for market in markets):
        raise ValueError("HKEX Stock Connect file's tabData is not a list of markets")
    return markets


def _field(market: dict, key: str):
    if key not in market:
        raise ValueError(f"HKEX Stock Connect market {market.get('market')!r} has no {key!r}")
    return market[key]


def _channel_row(market: dict) -> dict:
    name = market["market"]
    summary = _summary(market)
    return {"trade_date": _field(market, "date"), "channel": SOUTHBOUND_CHANNELS[name],
            "buy_hkd": _hkd(summary, "Buy Turnover", name), "sell_hkd": _hkd(summary, "Sell Turnover", name),
            "total_turnover_hkd": _hkd(summary, "Total Turnover", name)}


def _summary(market: dict) -> dict[str, str]:
    """The summary table as label -> printed value."""
    name = market["market"]
    try:
        table = _field(market, "content")[0]["table"]
        labels = table["schema"][0]
        values = [row["td"][0][0] for row in table["tr"]]
    except (KeyError, IndexError, TypeError):
        raise ValueError(f"{name} has no summary table (schema labels with one tr per label)") from None
    if len(labels) != len(values):
        raise ValueError(f"{name} summary has {len(labels)} labels but {len(values)} values")
    return {str(label).strip(): value for label, value in zip(labels, values, strict=True)}


def _hkd(summary: dict[str, str], label: str, market: str) -> float:
    if label not in summary:
        raise ValueError(f"{market} summary has no {label!r}: its labels are {list(summary)}")
    printed = summary[label]
    try:
        return float(Decimal(str(printed).replace(",", "")) * HKD_PER_MILLION)
    except InvalidOperation:
        raise ValueError(f"{market} {label} is {printed!r}, not an amount in HK$ million") from None


def _landing_frame(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=list(LANDING_SCHEMA))
    frame["trade_date"] = pd.to_datetime(frame["trade_date"], format="%Y-%m-%d")
    return frame.astype(LANDING_SCHEMA)
