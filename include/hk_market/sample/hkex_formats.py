"""HKEX's published formats, rendered from sample data so the sample source runs the live parsers.

- The "Short Selling Turnover - Daily Report" page (day close): fixed-width text in a <pre>, read by
  hk_market.datasets.short_selling.parse.
- The Daily Quotations report (Main Board) d{YYMMDD}e.htm: its QUOTATIONS section (per-stock turnover) and
  its SHORT SELLING TURNOVER section, read by hk_market.hkex.daily_quotations.
- The Stock Connect daily statistics file data_tab_daily_{YYYYMMDD}e.js (`tabData = [...]`), read
  by hk_market.datasets.southbound.parse.
- The List of Securities workbook ListOfSecurities.xlsx, read by hk_market.universe.parse_list_of_securities().
"""

import datetime as dt
import html
import io
import json
from functools import cache

import numpy as np
import pandas as pd

from hk_market.hkex.figures import ALL_DESIGNATED, MONTHS, NON_DESIGNATED, WEEKDAYS

BOARD_TITLES = {"MAIN": "Main Board", "GEM": "GEM"}
NAME_WIDTH = 20
QUOTATIONS_NAME_WIDTH = 15  # the Daily Quotations' name column

PAGE = """<html>
<head>
<title>Short Selling Turnover - Daily Report</title>
</head>
<body>
{sections}
</body>
</html>
"""

# Stock Connect: (market, exchange) in HKEX's order; the id of each is its position.
CONNECT_MARKETS = (
    ("SSE Northbound", "SSE"),
    ("SSE Southbound", "SSE"),
    ("SZSE Northbound", "SZSE"),
    ("SZSE Southbound", "SZSE"),
)
SOUTHBOUND_LABELS = (
    "Total Turnover", "Buy Turnover", "Sell Turnover",
    "Total Trade Count", "Buy Trade Count", "Sell Trade Count", "ETF Turnover",
)
NORTHBOUND_LABELS = ("Total Turnover", "Total Trade Count", "DQB", "ETF Turnover")
SOUTHBOUND_TOP10_LABELS = (
    "Rank", "Stock Code", "Stock Name", "Buy Turnover", "Sell Turnover", "Total Turnover",
)
NORTHBOUND_TOP10_LABELS = ("Rank", "Stock Code", "Stock Name", "Total Turnover")
# Figures the sample has no data for, derived from the southbound flows (documented assumptions):
AVERAGE_TRADE_HKD = 50_000          # one trade's size, for the trade counts
ETF_SHARE = 0.005                   # ETFs' share of turnover
NORTHBOUND_TO_SOUTHBOUND = 2.0      # northbound turnover (RMB) over the same exchange's southbound (HK$)
NORTHBOUND_DQB = "999,999,999"      # daily quota balance, as copies of recent files show it
UNIT = 10_000                       # HK$ million to two decimals
# ",000" to ",999", the pieces of a number printed with thousands commas: four ASCII bytes held as one uint32.
GROUPS_OF_THREE = np.array([f",{group:03d}".encode() for group in range(1000)]).view(np.uint32)


def render_short_selling_reports(sessions: list[dt.date], rows: pd.DataFrame, names: dict[str, str]) -> list[str]:
    """The day-close short selling page of each of the sessions (in order), one <pre> section per board, Main Board
    first.

    rows: trade_date, stock_code (5 digits), short_shares, short_turnover_hkd (printed as whole HK$), board
    ('MAIN' / 'GEM'); names: stock_code -> short name (cut to NAME_WIDTH). All rows are printed as
    HKD counters. Each section ends with its total lines: the securities count, the "(C) all
    Designated Securities" totals and an empty non-designated block. The "(A)"/"(B)" ETP split and
    total market turnover, which the sample does not know, are left out; the parser does not read them.
    The rows of all sessions are sorted and converted once, so a backfill chunk's hundreds of pages cost
    little more than their lines.
    """
    unknown = set(rows["board"].unique()) - set(BOARD_TITLES)
    if unknown:
        raise ValueError(f"unknown boards {sorted(unknown)}: expected {sorted(BOARD_TITLES)}")
    code_index, codes = pd.factorize(rows["stock_code"])  # each row's code, by its index in codes
    missing = set(codes) - set(names)
    if missing:
        raise ValueError(f"no names for stock codes {sorted(missing)[:10]}")
    days = np.array(sessions, dtype="datetime64[D]")
    day = np.searchsorted(days, rows["trade_date"].to_numpy().astype("datetime64[D]"))
    if (day >= len(days)).any() or (days[np.minimum(day, len(days) - 1)] != rows["trade_date"].to_numpy()).any():
        raise ValueError("rows for a trading date that is not one of the sessions")
    board = pd.Index(list(BOARD_TITLES)).get_indexer(rows["board"])  # each board's rank
    code = codes.astype("int64").to_numpy()[code_index]  # five digits: numeric order is HKEX's order
    order = np.lexsort((code, board, day))
    group = (day * len(BOARD_TITLES) + board)[order]  # one group per session and board, in page order
    bounds = np.searchsorted(group, np.arange(len(days) * len(BOARD_TITLES) + 1)).tolist()
    shares = rows["short_shares"].to_numpy().astype("int64")[order]
    turnover = rows["short_turnover_hkd"].round().to_numpy().astype("int64")[order]
    prefixes = [_row_prefix(code, names[code]) for code in codes]
    row_text, line_starts = _row_lines(prefixes, code_index[order], shares, turnover)

    def section(number: int, title: str, trade_date: dt.date) -> str:
        start, end = bounds[number], bounds[number + 1]
        totals = _short_selling_totals(end - start, sum(shares[start:end].tolist()), sum(turnover[start:end].tolist()))
        lines = row_text[line_starts[start] : line_starts[end]].decode()
        return "\n".join(_short_selling_heading(title, trade_date)) + "\n" + lines + "\n".join(totals) + "\n"

    pages = []
    for position, trade_date in enumerate(sessions):
        sections = (
            section(position * len(BOARD_TITLES) + rank, title, trade_date)
            for rank, title in enumerate(BOARD_TITLES.values())
        )
        blocks = (f"<pre><font size='1'>\n{text}</font></pre>" for text in sections)
        pages.append(PAGE.format(sections="\n".join(blocks)))
    return pages


def _row_lines(prefixes: list[str], prefix_index: np.ndarray, shares: np.ndarray, turnover: np.ndarray
               ) -> tuple[bytes, list[int]]:
    """The rows' lines, each ended by "\\n", as one UTF-8 text; and where each line starts in it, then its end.

    A line is f"{prefixes[prefix_index]}{shares:>11,} {turnover:>14,}", built as a matrix of bytes a row per line
    (zero bytes pad the narrower ones) rather than formatted a line at a time, which cost most of a backfill
    chunk's render.
    """
    encoded = np.array([prefix.encode() for prefix in prefixes], dtype=bytes)  # zero bytes pad the shorter
    characters = np.hstack([
        encoded.view(np.uint8).reshape(len(prefixes), encoded.itemsize)[prefix_index],
        _grouped(shares, 11),
        np.full((len(prefix_index), 1), ord(" "), np.uint8),
        _grouped(turnover, 14),
        np.full((len(prefix_index), 1), ord("\n"), np.uint8),
    ])
    printed = characters != 0
    starts = np.concatenate([[0], np.cumsum(printed.sum(axis=1))])
    return characters[printed].tobytes(), starts.tolist()


def _grouped(numbers: np.ndarray, width: int) -> np.ndarray:
    """f"{number:>{width},}" of each number, as a row of ASCII codes right-aligned in the widest's columns (zero
    bytes fill a row left of its own width)."""
    magnitude = np.abs(numbers)
    digits = 1 + np.searchsorted(10 ** np.arange(1, 19), magnitude, side="right")  # int64 has up to 19
    grouped = (digits + (digits - 1) // 3)[:, None]  # with its commas
    length = grouped + (numbers < 0)[:, None]
    places = np.arange(max(width, int(length.max(initial=0))))[::-1]  # each column's, counted from the right
    groups = [GROUPS_OF_THREE[magnitude // 1000**power % 1000] for power in range((len(places) + 3) // 4)]
    figures = np.stack(groups[::-1], axis=1).view(np.uint8)[:, -len(places) :]  # every place a digit or comma
    blank = np.where(places < length, ord("-"), np.where(places < width, ord(" "), 0).astype(np.uint8))
    return np.where(places < grouped, figures, blank)


def _short_selling_heading(title: str, trade_date: dt.date) -> list[str]:
    weekday = WEEKDAYS[trade_date.weekday()]
    date = f"{trade_date.day:02d} {MONTHS[trade_date.month - 1]} {trade_date.year} ({weekday})"
    return [
        f"Short Selling Turnover ({title}) up to day close today",
        f"{'':14}SHORTSELL REPORT   TRADING DATE : {date}",
        "",
        f"{'':46}Turnover",
        f"{'':6}CODE   NAME OF STOCK               (SH)            ($)",
    ]


@cache
def _row_prefix(code: str, name: str) -> str:
    """A row up to its numbers: CODE right-aligned without zero padding (a '%' would go just before
    it), then the name upper-cased and cut to NAME_WIDTH."""
    name = html.escape(name[:NAME_WIDTH].upper(), quote=False)
    return f"{'':6}{int(code):>5}  {name:<{NAME_WIDTH}} "


def _short_selling_totals(securities: int, shares: int, turnover_hkd: int) -> list[str]:
    return [
        f"    {'Total No. of all Securities recording Short Selling':<75}: {securities:>5,}",
        f"    {ALL_DESIGNATED}",
        f"        {'Short Selling Turnover Total Shares (SH)':<58}: {shares:>18,}",
        f"        {'Short Selling Turnover Total Value ($)':<58}: HKD{turnover_hkd:>15,}",
        f"    {NON_DESIGNATED:<75}: {0:>5}",
        f"        {'Short Selling Turnover Total Shares (SH)':<58}: {0:>18}",
        f"        {'Short Selling Turnover Total Value ($)':<58}: HKD{0:>15}",
    ]


# The Daily Quotations sections the sample prints, in HKEX's order: (anchor name, title). Each section's
# text runs to the next anchor, so sections the parsers do not read are printed as headings only.
DAILY_QUOTATIONS_SECTIONS = (
    ("market_highlights", "MARKET HIGHLIGHTS"),
    ("quotations", "QUOTATIONS"),
    ("sales_all", "SALES RECORDS FOR ALL STOCKS"),
    ("short_selling", "SHORT SELLING TURNOVER - DAILY REPORT"),
    ("adj_short", "PREVIOUS DAY'S ADJUSTED SHORT SELLING TURNOVER"),
)
RULE = "-" * 118
DISCLAIMER = "  DISCLAIMER: THE INFORMATION IN THIS REPORT IS FOR REFERENCE ONLY (THE SAMPLE'S WORDING, NOT HKEX'S)."


def render_daily_quotations(trade_date: dt.date, quotes: pd.DataFrame, short: pd.DataFrame,
                            names: dict[str, str]) -> str:
    """The Daily Quotations page (Main Board) of a session: one <pre> of fixed-width text, CRLF line ends.

    quotes: stock_code, prev_close (NaN prints a dash), close, high, low, volume, turnover_hkd (printed as
    whole HK$); the sample has no order book, so ask and bid print the close. short: stock_code, short_shares,
    short_turnover_hkd of the session's Main Board short selling. Every counter is HKD. The heading (page
    number, disclaimer, `DATE:` at column 0), centred anchors and column positions are those of the fixture
    tests/fixtures/hkex_daily_quotations/d241113e.htm, whose README gives their sources.
    """
    quotes = quotes.sort_values("stock_code", key=lambda codes: codes.astype("int64"))
    codes, volumes = quotes["stock_code"].tolist(), quotes["volume"].astype("int64").tolist()
    turnovers = quotes["turnover_hkd"].round().astype("int64").tolist()
    quoted = dict(zip(codes, zip(volumes, turnovers, strict=True), strict=True))
    prices = (map(_price, quotes[column].tolist()) for column in ("prev_close", "close", "high", "low"))
    quotations = map(_quotation, codes, map(names.__getitem__, codes), *prices, volumes, turnovers)
    short = short.sort_values("stock_code", key=lambda codes: codes.astype("int64"))
    short_rows = [
        f"{'':2}{int(code):>5} {_quotations_name(names[code]):<24}{shares:>22,}{round(value):>21,}"
        f"{quoted[code][0]:>21,}{quoted[code][1]:>21,}"
        for code, shares, value in zip(short["stock_code"], short["short_shares"], short["short_turnover_hkd"],
                                       strict=True)
    ]
    total_line = f"{'':7}Total Shares (SH): {int(short['short_shares'].sum()):>25,}"
    total_shares = sum(quoted[code][0] for code in short["stock_code"])
    bodies = {
        "market_highlights": [
            "", f"{'':44}{trade_date:%d/%m/%Y}",
            f"  {'TOTAL TURNOVER (HK$)':<40}{sum(turnovers):>17,}",
            f"  {'NO. OF TRADED STOCKS':<40}{sum(volume > 0 for volume in volumes):>17,}",
        ],
        "quotations": [
            "", "    CODE  NAME OF STOCK    CUR  PRV.CLO./      ASK/     HIGH/  SHARES TRADED/",
            f"{'':34}CLOSING       BID      LOW     TURNOVER ($)", RULE, *quotations,
        ],
        "short_selling": [
            "", f"{'':45}Total Short Selling Turnover{'':24}Total Turnover",
            f"  CODE  NAME OF STOCK{'':28}(SH){'':19}($){'':18}(SH){'':19}($)", "", *short_rows, "",
            f"{total_line} {total_shares:>41,}",
        ],
    }
    weekday = WEEKDAYS[trade_date.weekday()]
    lines = [
        "<html>", "<head>", "<title>Daily Quotations</title>", "</head>", "<body>", "<pre><font size='1'>",
        f"{'':108}PAGE:    1", f"{'':40}THE STOCK EXCHANGE OF HONG KONG LIMITED", f"{'':47}DAILY QUOTATIONS",
        f"DATE: {trade_date.day:02d} {MONTHS[trade_date.month - 1]} {trade_date.year} ({weekday})", "",
        DISCLAIMER, "", "TABLE OF CONTENT",
        *(f'<a href="#{name}">{title}</a>' for name, title in DAILY_QUOTATIONS_SECTIONS),
    ]
    for name, title in DAILY_QUOTATIONS_SECTIONS:  # anchors centred over the page's width, as HKEX prints them
        centred = " " * ((len(RULE) - len(title)) // 2)
        lines += [RULE, f'{centred}<a name = "{name}">{title}</a>', *bodies.get(name, [])]
    return "\r\n".join([*lines, "</font></pre>", "</body>", "</html>", ""])


@cache
def _quotations_name(name: str) -> str:
    """A short name upper-cased, cut and padded to the name column (escaped for HTML after the cut)."""
    cut = name[:QUOTATIONS_NAME_WIDTH].upper()
    return html.escape(cut, quote=False) + " " * (QUOTATIONS_NAME_WIDTH + 1 - len(cut))


def _quotation(code: str, name: str, prev_close: str, close: str, high: str, low: str, volume: int,
               turnover: int) -> str:
    """A stock's two QUOTATIONS lines, its prices already printed."""
    return (f"{int(code):>6}  {_quotations_name(name)}HKD{prev_close:>11}{close:>10}{high:>10}{volume:>16,}\r\n"
            f"{'':28}{close:>10}{close:>10}{low:>10}{turnover:>16,}")


def _price(value: float) -> str:
    """A price as HKEX prints it: three decimals below HK$0.50 (ticks of 0.001 and 0.005), else two; a dash
    for none."""
    if np.isnan(value):
        return "-"
    return f"{value:.3f}" if value < 0.5 else f"{value:.2f}"


# The List of Securities' heading row, as public readers of the workbook name its columns.
LIST_OF_SECURITIES_HEADINGS = (
    "Stock Code", "Name of Securities", "Category", "Sub-Category", "Board Lot", "Par Value", "ISIN", "Expiry Date",
    "Subject to Stamp Duty", "Shortsell Eligible", "CAS Eligible", "VCM Eligible", "Admitted to Stock Options",
    "Admitted to Stock Futures", "Admitted to CCASS", "ETF / Fund Manager", "Debt Securities Board Lot (Nominal)",
    "Debt Securities Investor Type", "POS Eligble", "Spread Table", "Trading Currency", "RMB Counter",
)
# (security_type, board) -> the workbook's Category and Sub-Category.
LIST_CATEGORIES = {
    ("equity", "MAIN"): ("Equity", "Equity Securities (Main Board)"),
    ("equity", "GEM"): ("Equity", "Equity Securities (GEM)"),
    ("etf", "MAIN"): ("Exchange Traded Products", "Exchange Traded Funds"),
}
REIT_CATEGORY = "Real Estate Investment Trusts"  # REITs print no Sub-Category


def render_list_of_securities(securities: pd.DataFrame, as_of: dt.date) -> bytes:
    """HKEX's ListOfSecurities.xlsx listing the securities (stock_code, name, security_type, board, shortable).

    One sheet: a merged title row, an "Updated as at DD/MM/YYYY" row, the heading row, then one row per
    security with its code as text ('00700') and Trading Currency HKD (the sample lists HKD counters only, so
    no RMB Counter); a security whose name says REIT is a REIT, with no Sub-Category. The sample knows no board
    lots, par values or ISINs, so those cells are empty. The layout is the fixture's,
    tests/fixtures/hkex_list_of_securities/.
    """
    from openpyxl import Workbook  # only the reference DAG needs it

    book = Workbook()
    sheet = book.active
    sheet.title = "ListOfSecurities"
    width = len(LIST_OF_SECURITIES_HEADINGS)
    sheet.cell(1, 1, "List of Securities")
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    sheet.cell(2, 1, f"Updated as at {as_of:%d/%m/%Y}")
    sheet.append(LIST_OF_SECURITIES_HEADINGS)
    for security in securities.itertuples(index=False):
        category, sub_category = LIST_CATEGORIES[(security.security_type, security.board)]
        if security.security_type == "equity" and "REIT" in security.name.upper():
            category, sub_category = REIT_CATEGORY, None
        cells = {"Stock Code": security.stock_code, "Name of Securities": security.name.upper(),
                 "Category": category, "Sub-Category": sub_category, "Admitted to CCASS": "Y",
                 "Shortsell Eligible": "Y" if security.shortable else None, "Trading Currency": "HKD"}
        sheet.append([cells.get(heading) for heading in LIST_OF_SECURITIES_HEADINGS])
    content = io.BytesIO()
    book.save(content)
    return content.getvalue()


def render_stock_connect_js(trade_date: dt.date, southbound: dict[str, tuple[float, float]] | None) -> str:
    """The data_tab_daily_{YYYYMMDD}e.js file for a day: all four markets in HKEX's structure.

    southbound maps 'SSE' / 'SZSE' to (buy_hkd, sell_hkd), printed in HK$ million to two decimals,
    so parse(render(x)) gives x rounded to the nearest HK$10,000. None is a day without southbound
    trading: every market then has tradingDay 0 and no tables. The sample has no northbound data,
    so a northbound market's figures are derived from its exchange's southbound turnover
    (NORTHBOUND_TO_SOUTHBOUND), trade counts from AVERAGE_TRADE_HKD and ETF turnover from ETF_SHARE;
    top-10 tables are present but empty.
    """
    markets = [
        {
            "id": position,
            "date": trade_date.isoformat(),
            "market": market,
            "tradingDay": 0 if southbound is None else 1,
            "content": [] if southbound is None else _connect_tables(market, *southbound[exchange]),
        }
        for position, (market, exchange) in enumerate(CONNECT_MARKETS)
    ]
    return "tabData = [\n" + ",\n".join(json.dumps(market) for market in markets) + "\n];\n"


def _connect_tables(market: str, buy_hkd: float, sell_hkd: float) -> list[dict]:
    """The summary table and an empty top-10 table of one market."""
    if market.endswith("Southbound"):
        summary = _table(1, "tradingTable", SOUTHBOUND_LABELS, _southbound_summary(buy_hkd, sell_hkd))
        return [summary, _table(2, "top10Table", SOUTHBOUND_TOP10_LABELS)]
    summary = _table(1, "tradingTable", NORTHBOUND_LABELS, _northbound_summary(buy_hkd + sell_hkd))
    return [summary, _table(2, "top10Table", NORTHBOUND_TOP10_LABELS)]


def _southbound_summary(buy_hkd: float, sell_hkd: float) -> tuple[str, ...]:
    buy, sell = round(buy_hkd / UNIT), round(sell_hkd / UNIT)
    total = buy + sell
    return (
        _millions(total), _millions(buy), _millions(sell),
        _count(total), _count(buy), _count(sell), _millions(round(total * ETF_SHARE)),
    )


def _northbound_summary(southbound_hkd: float) -> tuple[str, ...]:
    total = round(southbound_hkd * NORTHBOUND_TO_SOUTHBOUND / UNIT)
    return _millions(total), _count(total), NORTHBOUND_DQB, _millions(round(total * ETF_SHARE))


def _table(style: int, classname: str, labels: tuple[str, ...], values: tuple[str, ...] = ()) -> dict:
    """A content table: labels in schema[0]; a summary has one tr per label, value in td[0][0]."""
    rows = [{"td": [[value]]} for value in values]
    return {"style": style, "table": {"classname": classname, "schema": [list(labels)], "tr": rows}}


def _millions(units: int) -> str:
    """Whole HK$10,000 units as HK$ million with thousands separators and two decimals."""
    return f"{units // 100:,}.{units % 100:02d}"


def _count(units: int) -> str:
    """The number of trades in whole HK$10,000 units of turnover, at AVERAGE_TRADE_HKD a trade."""
    return f"{round(units * UNIT / AVERAGE_TRADE_HKD):,}"
