"""HKEX daily short selling turnover per stock, from HKEX's fixed-width daily report."""

import datetime as dt
import re
from dataclasses import dataclass
from typing import NoReturn

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from hk_market.datasets.short_selling.schema import LANDING_SCHEMA
from hk_market.hkex import daily_quotations
from hk_market.hkex.figures import ALL_DESIGNATED, MONTHS, NON_DESIGNATED, NUMBER_PATTERN, calendar_date, integer
from hk_market.sources.errors import NotPublished, SourceDataError

_TAG = re.compile(r"<[^>]+>")
# Patterns start with literal text where they can: the regex engine then skips ahead quickly.
_SECTION_TITLE = re.compile(
    r"Short Selling Turnover \((?P<board>[^)\n]+)\) up to day close today *$", re.MULTILINE
)
_TRADING_DATE = re.compile(r"TRADING DATE *: *(?P<day>\d{1,2}) +(?P<month>[A-Z]{3}) +(?P<year>\d{4})")
# Older reports say "Total No. of Securities recording ...", newer ones "Total No. of all Securities recording ...".
_SECURITIES_COUNT = re.compile(
    rf"Total No\. of (?:all )?Securities recording Short Selling *: *(?P<count>{NUMBER_PATTERN})"
)
# One stock's line: optional '%' (non-HKD counter), code, name, shares, turnover ($ of the counter's currency).
# Matched by pyarrow, line by line, a backfill chunk's rows in one call. RE2's \d is ASCII digits only, and its \S
# anything but ASCII white space (Python's re takes Unicode digits and spaces too); HKEX prints ASCII.
_ROW = rf"^ *(%?) *(\d{{1,5}}) +\S.*? ({NUMBER_PATTERN}) +({NUMBER_PATTERN}) *$"
_BLOCK_HEADING = re.compile(r"^ *(?:\([A-Z]\)|\*Total No\.)", re.MULTILINE)
_TOTAL_SHARES = re.compile(rf"Short Selling Turnover Total Shares \(SH\) *: *(?P<value>{NUMBER_PATTERN})")
_TOTAL_HKD = re.compile(rf"Short Selling Turnover Total Value \(\$\) *: *HKD *(?P<value>{NUMBER_PATTERN})")
TOTALS_CHECKED = ("securities", "shares", "HK$ turnover")


@dataclass(frozen=True)
class _Section:
    """One board's part of a report: the text of its rows and its own total lines."""

    board: str
    trade_date: dt.date
    rows: str  # the lines before the total lines
    securities: int
    shares: int
    turnover_hkd: int


def parse(raw: str) -> pd.DataFrame:
    """The landing frame of one HKEX "Short Selling Turnover - Daily Report" page (day close).

    The page holds one board section (HKEX's ashtmain.htm / ashtgem.htm) or several (the sample
    source prints Main Board and GEM in one page). Counters marked '%' trade in RMB or USD: their
    turnover is not HK$ and the report gives no rate, so they are dropped. Each section is checked
    against its own total lines: the number of securities, total shares (all counters) and total
    HKD value, summing "(C) all Designated Securities" and the non-designated block.

    Raises NotPublished for HKEX's "will be available after day close" page, and SourceDataError for a
    page without a report, a section without its trading date, a truncated section (no total
    lines), sections of different dates, a date that is no day of the XHKG calendar's range, or totals
    that disagree with the rows (naming the section and both numbers).
    """
    return _landing_frame(_read_page(raw))


def parse_many(raws: list[str]) -> pd.DataFrame:
    """The landing frame of many pages, by trade date: day-close report pages as parse() reads them (their
    rows converted in one pass), and Daily Quotations pages (the live source's for a session before the
    latest), read from their SHORT SELLING TURNOVER section by hkex.daily_quotations.short_selling_rows().
    """
    quotations = [daily_quotations.SHORT_SELLING_TITLE in raw for raw in raws]
    reports = _landing_frame([section for raw, quoted in zip(raws, quotations, strict=True) if not quoted
                              for section in _read_page(raw)])
    if not any(quotations):
        return reports
    earlier = [daily_quotations.short_selling_rows(raw).assign(from_daily_quotations=True).astype(LANDING_SCHEMA)
               for raw, quoted in zip(raws, quotations, strict=True) if quoted]
    frame = pd.concat([reports, *earlier], ignore_index=True)
    return frame.sort_values("trade_date", kind="stable", ignore_index=True)


landing = parse_many  # the registry's name for the landing frame of what a fetch returned


def report_date(raw: str) -> dt.date:
    """The trading date a report page is for (raises as parse() does for a page without a report)."""
    return _read_page(raw)[0].trade_date


def _read_page(raw: str) -> list[_Section]:
    text = _TAG.sub("", raw.replace("\r\n", "\n"))
    titles = list(_SECTION_TITLE.finditer(text))
    if not titles:
        _raise_no_report(raw)
    ends = [title.start() for title in titles[1:]] + [len(text)]
    sections = [
        _read_section(title["board"].strip(), text[title.end() : end])
        for title, end in zip(titles, ends, strict=True)
    ]
    dates = sorted({section.trade_date for section in sections})
    if len(dates) > 1:
        raise SourceDataError(f"short selling report mixes trading dates {', '.join(map(str, dates))}")
    return sections


def _raise_no_report(raw: str) -> NoReturn:
    plain = " ".join(_TAG.sub(" ", raw).split())
    if "will be available" in plain.lower():
        raise NotPublished(f"HKEX short selling report not available yet: {plain[:160]!r}")
    raise SourceDataError(f"no HKEX short selling day-close report in this page: {plain[:160]!r}")


def _read_section(board: str, body: str) -> _Section:
    date_line = _TRADING_DATE.search(body)
    if date_line is None:
        raise SourceDataError(f"{board} section of the short selling report has no 'TRADING DATE : DD MON YYYY'")
    count_line = _SECURITIES_COUNT.search(body)
    summary = body[count_line.start() :] if count_line else ""
    designated = _block_totals(summary, ALL_DESIGNATED)
    if count_line is None or designated is None:
        raise SourceDataError(f"{board} section of the short selling report is truncated: it has no total lines")
    non_designated = _block_totals(summary, NON_DESIGNATED) or (0, 0)
    return _Section(
        board=board,
        trade_date=_report_date(date_line),
        rows=body[: count_line.start()],
        securities=integer(count_line["count"]),
        shares=designated[0] + non_designated[0],
        turnover_hkd=designated[1] + non_designated[1],
    )


def _report_date(match: re.Match) -> dt.date:
    if match["month"] not in MONTHS:
        raise SourceDataError(f"short selling report date {match[0]!r} has an unknown month")
    printed = f"{match['day']} {match['month']} {match['year']}"
    return calendar_date(match["year"], MONTHS.index(match["month"]) + 1, match["day"], printed, "short selling report")


def _block_totals(summary: str, heading: str) -> tuple[int, int] | None:
    """(total shares, total HKD value) of a summary block, or None if the block or a line is missing."""
    start = summary.find(heading)
    if start < 0:
        return None
    following = _BLOCK_HEADING.search(summary, start + len(heading))
    end = following.start() if following else len(summary)
    shares, hkd = _TOTAL_SHARES.search(summary, start, end), _TOTAL_HKD.search(summary, start, end)
    if shares is None or hkd is None:
        return None
    return integer(shares["value"]), integer(hkd["value"])


def _landing_frame(sections: list[_Section]) -> pd.DataFrame:
    lines = pc.split_pattern(pa.array([section.rows for section in sections], pa.large_string()), "\n")
    every_line = pc.list_flatten(lines)
    stock = pc.match_substring_regex(every_line, _ROW)  # a stock's line, not a heading
    counts = np.bincount(pc.list_parent_indices(lines).filter(stock).to_numpy(), minlength=len(sections))
    marked, codes, shares, turnover = _row_fields(every_line.filter(stock))
    shares, turnover = _thousands(shares), _thousands(turnover)
    hkd = pc.invert(marked).to_numpy(zero_copy_only=False)
    _check_totals(sections, counts, shares, np.where(hkd, turnover, 0))
    dates = np.array([section.trade_date for section in sections], dtype="datetime64[D]")
    frame = pd.DataFrame({
        "trade_date": np.repeat(dates, counts)[hkd],
        "stock_code": pd.arrays.ArrowStringArray(pc.utf8_lpad(codes.filter(hkd), 5, "0")),
        "short_shares": shares[hkd],
        "short_turnover_hkd": turnover[hkd],
        "from_daily_quotations": False,
    })
    return frame.astype(LANDING_SCHEMA)


def _row_fields(rows: pa.Array) -> tuple[pa.Array, pa.Array, pa.Array, pa.Array]:
    """(marked '%', code, shares, turnover) of lines that _ROW matches, as its groups would have them: shares and
    turnover are a matched line's last two words, and the code the first after its leading spaces and '%'. Split
    so, they take half the time of RE2's capture groups."""
    words = pc.ascii_split_whitespace(pc.ascii_rtrim(rows, " "), max_splits=2, reverse=True)
    head = pc.ascii_ltrim(pc.list_element(words, 0), " ")
    code = pc.list_element(pc.ascii_split_whitespace(pc.ascii_ltrim(head, " %"), max_splits=1), 0)
    return pc.starts_with(head, "%"), code, pc.list_element(words, 1), pc.list_element(words, 2)


def _thousands(numbers: pa.Array) -> np.ndarray:
    """Whole numbers printed with thousands commas; SourceDataError for one too large to be shares or HK$."""
    try:
        return pc.cast(pc.replace_substring(numbers, ",", ""), pa.int64()).to_numpy()
    except pa.ArrowInvalid:
        raise SourceDataError("a short selling report row prints a number too large for shares or HK$") from None


def _check_totals(sections: list[_Section], counts: np.ndarray, shares: np.ndarray, hkd: np.ndarray) -> None:
    """Raise if any section's rows disagree with its own total lines."""
    owner = np.repeat(np.arange(len(sections)), counts)
    shares_sums = np.bincount(owner, weights=shares, minlength=len(sections))  # exact below 2**53
    hkd_sums = np.bincount(owner, weights=hkd, minlength=len(sections))
    for section, *found in zip(sections, counts, shares_sums, hkd_sums, strict=True):
        expected = (section.securities, section.shares, section.turnover_hkd)
        for what, rows_total, report_total in zip(TOTALS_CHECKED, found, expected, strict=True):
            if rows_total != report_total:
                raise SourceDataError(
                    f"{section.board} section of the {section.trade_date} short selling report: its rows add "
                    f"up to {int(rows_total):,} {what} but its total line says {report_total:,}"
                )
