"""HKEX's Daily Quotations report (Main Board), d{YYMMDD}e.htm: per-stock turnover and short selling.

The page is fixed-width text in <pre>, one section per `<a name = "...">` anchor.

Turnover in HK$, for the live prices (yfinance publishes none), is read from the QUOTATIONS section.
Each stock is two lines (code, name, currency, previous close, ask, high, shares traded; then
closing, bid, low, turnover in the counter's currency), which a page break may split; the one-line form
of HKEX's wider pages (previous close, bid, ask, high, low, closing, shares, turnover) is read too.
Prices have two or three decimals, or read N/A. Suspended and halted stocks print a note instead of
figures (`HKD TRADING SUSPENDED`). Only HKD counters that traded give a row; a code printed twice is an
error. On a holiday HKEX serves a page that only says "Hong Kong Public Holiday, NO TRADING.": NoTradingDay.

Short selling is read from the SHORT SELLING TURNOVER - DAILY REPORT section, which the live source
uses for sessions whose day-close report HKEX no longer serves. Its layout differs from that report:
one line per stock (code, '%' before it for a non-HKD counter, name, short shares, short turnover,
total shares, total turnover, amounts in the counter's currency), then one total line, `Total Shares
(SH):` short shares and total shares, which the rows are checked against. The section's total
turnover is the day's turnover QUOTATIONS gives too; turnover is read from QUOTATIONS alone, which
covers every stock. The page covers the Main Board only: GEM has its own Daily Quotations.
"""

import datetime as dt
import re

import pandas as pd

from hk_market.hkex.figures import MONTHS, NUMBER_PATTERN, calendar_date, integer
from hk_market.sources.errors import NoTradingDay, SourceDataError

TURNOVER_SCHEMA = {
    "trade_date": "datetime64[s]",
    "stock_code": "string",          # five digits, zero padded
    "turnover_hkd": "float64",
}
TURNOVER_CEILING_HKD = 1e15  # one stock's day: the whole market trades about 1e11, so more is a broken page
CURRENCIES = ("HKD", "CNY", "RMB", "USD", "EUR", "GBP", "JPY", "SGD", "AUD", "CAD", "MOP")

_TAG = re.compile(r"<[^>]+>")


def _anchor(name: str) -> re.Pattern:
    return re.compile(rf'<a\s+name\s*=\s*"{name}"\s*>', re.IGNORECASE)


# Each section's anchor, and the anchor of the section that follows it on HKEX's page.
_QUOTATIONS = (_anchor("quotations"), _anchor("sales_all"))
_SHORT_SELLING = (_anchor("short_selling"), _anchor("adj_short"))
_NO_TRADING = re.compile(r"[^<>\n]*\bNO TRADING\b[^<>\n]*", re.IGNORECASE)
_DATE_LINE = re.compile(r"\bDATE\s*:\s*")
_DATE = re.compile(
    rf"\b(?P<day>\d{{1,2}}) (?P<month>{'|'.join(MONTHS)})[A-Z]* (?P<year>\d{{4}})\b"
    r"|\b(?P<dd>\d{2})/(?P<mm>\d{2})/(?P<yyyy>\d{4})\b",
    re.IGNORECASE,
)
_FIGURE = r"(?:\d[\d,]*(?:\.\d+)?|-|N/A)"
_STOCK = rf"^ *[*#%]? *(?P<code>\d{{1,5}}) +(?P<name>\S.*?) +(?P<currency>{'|'.join(CURRENCIES)})"
# A page break (its tags are removed before matching) may fall between a stock's two lines, leaving blank lines.
_TWO_LINES = re.compile(
    _STOCK + rf"(?: +{_FIGURE}){{4}} *\n(?:[ \t]*\n)*(?: +{_FIGURE}){{3}} +(?P<turnover>{_FIGURE}) *$", re.MULTILINE
)
_ONE_LINE = re.compile(_STOCK + rf"(?: +{_FIGURE}){{7}} +(?P<turnover>{_FIGURE}) *$", re.MULTILINE)
# The lookahead finds the word in one scan of the line before the stock pattern is tried (else slow).
_NOT_TRADED = re.compile(r"^(?=[^\n]*\b(?:SUSPENDED|HALTED)\b)" + _STOCK.removeprefix("^"), re.MULTILINE)
_ANY_STOCK = re.compile(_STOCK + " ", re.MULTILINE)
# One stock of the short selling section: marker, code, name, short shares, short turnover, total shares
# (total turnover is matched, not kept).
_SHORT_ROW = re.compile(
    rf"^ *(%?) *(\d{{1,5}}) +(\S.*?) +({NUMBER_PATTERN}) +({NUMBER_PATTERN}) +({NUMBER_PATTERN}) +{NUMBER_PATTERN} *$",
    re.MULTILINE,
)
_SHORT_TOTAL = re.compile(rf"^ *Total Shares \(SH\): *({NUMBER_PATTERN}) +({NUMBER_PATTERN}) *$", re.MULTILINE)
SHORT_SELLING_TITLE = "SHORT SELLING TURNOVER - DAILY REPORT"


def parse(raw: str) -> pd.DataFrame:
    """trade_date, stock_code, turnover_hkd of every HKD counter that traded on the report's day.

    Raises NoTradingDay for HKEX's holiday page, and SourceDataError for a page without a QUOTATIONS section
    or a date in its heading, a section cut off before the next one (truncated), a stock line in neither
    layout (naming it), or a code printed twice.
    """
    return _frame(_rows(raw))


def parse_many(raws: list[str]) -> pd.DataFrame:
    """parse() over many pages, concatenated."""
    return _frame([row for raw in raws for row in _rows(raw)])


def short_selling_rows(raw: str) -> pd.DataFrame:
    """trade_date, stock_code, short_shares, short_turnover_hkd of the HKD counters in the page's short selling
    section.

    Raises SourceDataError for a page without the section, a section without its total line
    (truncated), or rows whose short shares or total shares (all counters) disagree with that line,
    naming the section and both numbers.
    """
    day = report_date(raw)
    section = _section(raw, _SHORT_SELLING, SHORT_SELLING_TITLE)
    total = _SHORT_TOTAL.search(section)
    if total is None:
        raise SourceDataError(
            f"HKEX Daily Quotations of {day} is truncated: its {SHORT_SELLING_TITLE} section has no total line"
        )
    rows = _SHORT_ROW.findall(section, 0, total.start())
    for what, column, line in (("short shares", 3, total[1]), ("total shares", 5, total[2])):
        found, printed = sum(integer(row[column]) for row in rows), integer(line)
        if found != printed:
            raise SourceDataError(
                f"HKEX Daily Quotations of {day}, {SHORT_SELLING_TITLE} section: its rows add up to {found:,} "
                f"{what} but its 'Total Shares (SH)' line says {printed:,}"
            )
    hkd = pd.DataFrame([(code, shares, turnover) for marker, code, _name, shares, turnover, _total in rows
                        if not marker], columns=["code", "shares", "turnover"])
    return pd.DataFrame({
        "trade_date": pd.Timestamp(day),
        "stock_code": hkd["code"].str.zfill(5),
        "short_shares": hkd["shares"].map(integer),
        "short_turnover_hkd": hkd["turnover"].map(integer).astype("float64"),
    })


def short_selling_page(raw: str) -> str | None:
    """The page cut to its heading and short selling section, all that short_selling_rows reads (a small part
    of a page of tens of MB); None for a page without that section."""
    try:
        start, end = _anchors(raw, _SHORT_SELLING, SHORT_SELLING_TITLE)
    except SourceDataError:
        return None
    quotations = _QUOTATIONS[0].search(raw)
    return raw[: quotations.start() if quotations else 0] + raw[start.start() : end.end()]


def report_date(raw: str) -> dt.date:
    """The trading day of a report: the date after `DATE:` in its heading, else the heading's first date (DD MON
    YYYY or DD/MM/YYYY).

    Raises NoTradingDay for HKEX's holiday page ("Hong Kong Public Holiday, NO TRADING."), SourceDataError for a
    heading without a date or with one that is no day of the XHKG calendar.
    """
    start = _QUOTATIONS[0].search(raw)
    heading = _TAG.sub(" ", raw[: start.start() if start else 4000])
    if start is None and (notice := _NO_TRADING.search(heading)):
        raise NoTradingDay("daily_quotations", None, " ".join(notice[0].split()))
    labelled = _DATE_LINE.search(heading)
    match = (labelled and _DATE.match(heading, labelled.end())) or _DATE.search(heading)
    if match is None:
        plain = " ".join(heading.split())
        raise SourceDataError(f"HKEX Daily Quotations page has no date in its heading: {plain[:160]!r}")
    if match["day"]:
        return calendar_date(match["year"], MONTHS.index(match["month"].upper()) + 1, match["day"], match[0],
                             "HKEX Daily Quotations page")
    return calendar_date(match["yyyy"], match["mm"], match["dd"], match[0], "HKEX Daily Quotations page")


def _rows(raw: str) -> list[tuple[dt.date, str, float]]:
    day = report_date(raw)
    section = _section(raw, _QUOTATIONS, "QUOTATIONS")
    records = list(_TWO_LINES.finditer(section))
    understood = {match.start() for match in [*records, *_NOT_TRADED.finditer(section)]}
    stock_lines = list(_ANY_STOCK.finditer(section))
    if any(match.start() not in understood for match in stock_lines):  # the one-line layout (its pass is slow)
        records += _ONE_LINE.finditer(section)
        understood |= {match.start() for match in records}
    lost = [match for match in stock_lines if match.start() not in understood]
    if lost:
        line = section[lost[0].start() :].split("\n", 1)[0]
        raise SourceDataError(
            f"HKEX Daily Quotations of {day}: {len(lost)} stock line(s) in neither known layout, first {line.strip()!r}"
        )
    codes = [match["code"].zfill(5) for match in stock_lines]
    twice = sorted({code for code in codes if codes.count(code) > 1}) if len(set(codes)) < len(codes) else []
    if twice:
        raise SourceDataError(f"HKEX Daily Quotations of {day}: QUOTATIONS prints stock code {twice[0]} twice"
                              + (f" and {len(twice) - 1} more code(s) twice too" if len(twice) > 1 else ""))
    rows = [(day, match["code"].zfill(5), float(match["turnover"].replace(",", ""))) for match in records
            if match["currency"] == "HKD" and match["turnover"] not in ("-", "N/A")]
    beyond = next((row for row in rows if not row[2] < TURNOVER_CEILING_HKD), None)
    if beyond:
        raise SourceDataError(f"HKEX Daily Quotations of {day}: QUOTATIONS prints stock {beyond[1]}'s turnover as "
                              f"HK${beyond[2]:,.0f}, at or above the ceiling of HK${TURNOVER_CEILING_HKD:,.0f}")
    return rows


def _section(raw: str, anchors: tuple[re.Pattern, re.Pattern], title: str) -> str:
    """The text of a section: from its anchor to the following section's, tags removed."""
    start, end = _anchors(raw, anchors, title)
    return _TAG.sub("", raw[start.end() : end.start()].replace("\r\n", "\n"))


def _anchors(raw: str, anchors: tuple[re.Pattern, re.Pattern], title: str) -> tuple[re.Match, re.Match]:
    """A section's anchor and the following section's; SourceDataError for a page without the section or one
    cut off inside it."""
    start = anchors[0].search(raw)
    if start is None:
        raise SourceDataError(f"HKEX Daily Quotations page has no {title} section")
    end = anchors[1].search(raw, start.end())
    if end is None:
        raise SourceDataError(f"HKEX Daily Quotations page is truncated: its {title} section never ends")
    return start, end


def _frame(rows: list[tuple[dt.date, str, float]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=list(TURNOVER_SCHEMA))
    frame["trade_date"] = pd.to_datetime(frame["trade_date"])
    return frame.astype(TURNOVER_SCHEMA).sort_values(["trade_date", "stock_code"], ignore_index=True)
