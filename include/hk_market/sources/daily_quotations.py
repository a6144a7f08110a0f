"""Per-stock turnover in HK$ from HKEX's Daily Quotations report (Main Board), for the live prices.

yfinance publishes no turnover; HKEX's d{YYMMDD}e.htm does, in its QUOTATIONS section: fixed-width
text between the `<a name = "quotations">` and `<a name = "sales_all">` anchors. Each stock is two
lines (code, name, currency, previous close, ask, high, shares traded; then closing, bid, low,
turnover in the counter's currency); the one-line form of HKEX's wider pages (previous close, bid,
ask, high, low, closing, shares, turnover) is read too. Suspended and halted stocks print a note
instead of figures. Only HKD counters that traded give a row.
"""

import datetime as dt
import re

import pandas as pd

from hk_market.sources.errors import SourceDataError
from hk_market.sources.short_selling import MONTHS

TURNOVER_SCHEMA = {
    "trade_date": "datetime64[s]",
    "stock_code": "string",          # five digits, zero padded
    "turnover_hkd": "float64",
}
CURRENCIES = ("HKD", "CNY", "RMB", "USD", "EUR", "GBP", "JPY", "SGD", "AUD", "CAD", "MOP")

_TAG = re.compile(r"<[^>]+>")
_SECTION_START = re.compile(r'<a\s+name\s*=\s*"quotations"\s*>', re.IGNORECASE)
_SECTION_END = re.compile(r'<a\s+name\s*=\s*"sales_all"\s*>', re.IGNORECASE)
_DATE = re.compile(
    rf"\b(?P<day>\d{{1,2}}) (?P<month>{'|'.join(MONTHS)})[A-Z]* (?P<year>\d{{4}})\b"
    r"|\b(?P<dd>\d{2})/(?P<mm>\d{2})/(?P<yyyy>\d{4})\b",
    re.IGNORECASE,
)
_FIGURE = r"(?:[\d,]+(?:\.\d+)?|-|N/A)"
_STOCK = rf"^ *[*#%]? *(?P<code>\d{{1,5}}) +(?P<name>\S.*?) +(?P<currency>{'|'.join(CURRENCIES)})"
_TWO_LINES = re.compile(
    _STOCK + rf"(?: +{_FIGURE}){{4}} *\n(?: +{_FIGURE}){{3}} +(?P<turnover>{_FIGURE}) *$", re.MULTILINE
)
_ONE_LINE = re.compile(_STOCK + rf"(?: +{_FIGURE}){{7}} +(?P<turnover>{_FIGURE}) *$", re.MULTILINE)
_NOT_TRADED = re.compile(_STOCK + r" .*\b(?:SUSPENDED|HALTED)\b", re.MULTILINE)
_ANY_STOCK = re.compile(_STOCK + " ", re.MULTILINE)


def parse(raw: str) -> pd.DataFrame:
    """trade_date, stock_code, turnover_hkd of every HKD counter that traded on the report's day.

    Raises ValueError for a page without a QUOTATIONS section or a date in its heading, a section
    cut off before the next one (truncated), or a stock line in neither layout (naming it).
    """
    return _frame(_rows(raw))


def parse_many(raws: list[str]) -> pd.DataFrame:
    """parse() over many pages, concatenated."""
    return _frame([row for raw in raws for row in _rows(raw)])


def report_date(raw: str) -> dt.date:
    """The trading day of a report: the first date in its heading (DD MON YYYY or DD/MM/YYYY)."""
    start = _SECTION_START.search(raw)
    heading = _TAG.sub(" ", raw[: start.start() if start else 4000])
    match = _DATE.search(heading)
    if match is None:
        plain = " ".join(heading.split())
        raise SourceDataError(f"HKEX Daily Quotations page has no date in its heading: {plain[:160]!r}")
    if match["day"]:
        return dt.date(int(match["year"]), MONTHS.index(match["month"].upper()) + 1, int(match["day"]))
    return dt.date(int(match["yyyy"]), int(match["mm"]), int(match["dd"]))


def _rows(raw: str) -> list[tuple[dt.date, str, float]]:
    day = report_date(raw)
    section = _section(raw)
    records = [*_TWO_LINES.finditer(section), *_ONE_LINE.finditer(section)]
    understood = {match.start() for match in [*records, *_NOT_TRADED.finditer(section)]}
    lost = [match for match in _ANY_STOCK.finditer(section) if match.start() not in understood]
    if lost:
        line = section[lost[0].start() :].split("\n", 1)[0]
        raise SourceDataError(
            f"HKEX Daily Quotations of {day}: {len(lost)} stock line(s) in neither known layout, first {line.strip()!r}"
        )
    traded = {}
    for match in records:
        turnover = match["turnover"].replace(",", "")
        if match["currency"] == "HKD" and turnover not in ("-", "N/A"):
            code = match["code"].zfill(5)
            traded[code] = max(traded.get(code, 0.0), float(turnover))  # a code printed twice keeps its larger
    return [(day, code, turnover) for code, turnover in traded.items()]


def _section(raw: str) -> str:
    start = _SECTION_START.search(raw)
    if start is None:
        raise SourceDataError("not an HKEX Daily Quotations page: it has no QUOTATIONS section")
    end = _SECTION_END.search(raw, start.end())
    if end is None:
        raise SourceDataError("HKEX Daily Quotations page is truncated: its QUOTATIONS section never ends")
    return _TAG.sub("", raw[start.end() : end.start()].replace("\r\n", "\n"))


def _frame(rows: list[tuple[dt.date, str, float]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=list(TURNOVER_SCHEMA))
    frame["trade_date"] = pd.to_datetime(frame["trade_date"])
    return frame.astype(TURNOVER_SCHEMA).sort_values(["trade_date", "stock_code"], ignore_index=True)
