"""The daily market wrap, from the marts only: reports/<date>.md and a self-contained reports/<date>.html.

Both open with the source and a key-figures table; the words are one template (templates/story.txt.j2),
grouped as the reference wrap groups them, that both formats print. The HTML adds inline CSS and inline
SVG charts with labelled axes (theme moves as bars; index closes over the last 20 sessions).
"""

import datetime as dt
from functools import cache
from pathlib import Path

import jinja2

from hk_market import settings, warehouse
from hk_market.publish import charts, report

TEMPLATES = Path(__file__).with_name("templates")
STORY_THEMES, STORY_THEME_PCT = 3, 1.0  # the story tells the largest falls and rises of at least 1 %, 3 of each
# How the story names each market driver, and its level ({} the close).
STORY_DRIVERS = {"DX-Y.NYB": ("the US dollar index", "{:,.2f}"), "GC=F": ("gold", "US${:,.2f} an ounce"),
                 "BTC-USD": ("Bitcoin", "around US${:,.0f}"), "CNH=X": ("USD/CNH", "{:,.4f}")}


def _price(value: float) -> str:
    """HKEX prices have up to three decimals; print at least two."""
    text = f"{value:,.3f}"
    return text[:-1] if text.endswith("0") else text


FILTERS = {
    "number": lambda value: f"{value:,.2f}",
    "ratio": lambda value: "n/a" if not value else f"{value:,.2f}%",  # no short selling reported, or none loaded
    "pct": lambda value: f"{abs(value):.2f}%",
    "signed_pct": lambda value: "n/a" if value is None else f"{value:+.2f}%",
    "signed_pp": lambda value: "n/a" if value is None else f"{value:+.2f}",
    "points": lambda value: f"{abs(value):.2f} points",
    "billions": lambda value: f"HK${abs(value) / 1e9:,.2f} billion",
    "bn": lambda value: f"{value / 1e9:,.2f}",
    "hk_bn": lambda value: f"HK${value / 1e9:,.2f} bn",
    "pp": lambda value: "n/a" if value is None else f"{value:+.2f} pp",
    "price": _price,
    "long_date": lambda day: f"{day:%A} {day.day} {day:%B %Y}",
}
TESTS = {
    "up": lambda value: value is not None and round(value, 2) > 0,
    "down": lambda value: value is not None and round(value, 2) < 0,
}


@cache
def templates() -> jinja2.Environment:
    """The report templates; .html.j2 ones escape what they print."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2",), default_for_string=False),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(FILTERS)
    env.tests.update(TESTS)
    return env


def story_themes(themes: list[dict]) -> tuple[list[dict], list[dict]]:
    """The themes the story tells (largest falls first, then largest rises) and the others that moved."""
    moved = [theme for theme in themes if theme["avg_change_pct"] is not None]
    falls = sorted((t for t in moved if round(t["avg_change_pct"], 2) <= -STORY_THEME_PCT),
                   key=lambda t: t["avg_change_pct"])[:STORY_THEMES]
    rises = sorted((t for t in moved if round(t["avg_change_pct"], 2) >= STORY_THEME_PCT),
                   key=lambda t: -t["avg_change_pct"])[:STORY_THEMES]
    told = falls + rises
    return told, [theme for theme in moved if theme not in told]


def story_drivers(drivers: list[dict]) -> list[dict]:
    """The market drivers as the story cites them: name, level in words (None when not loaded), change_pct."""
    return [{"name": STORY_DRIVERS[d["instrument"]][0], "change_pct": d["change_pct"],
             "level": None if d["close"] is None else STORY_DRIVERS[d["instrument"]][1].format(d["close"])}
            for d in drivers]


def story(facts: report.DayFacts) -> list[tuple[str, list[str]]]:
    """The wrap's groups of paragraphs, in plain words: (heading, paragraphs)."""
    told, other_themes = story_themes(facts.themes)
    text = templates().get_template("story.txt.j2").render(facts=facts, told=told, other_themes=other_themes,
                                                           drivers=story_drivers(facts.drivers),
                                                           story_theme_pct=f"{STORY_THEME_PCT:g}")
    groups: list[tuple[str, list[str]]] = []
    for paragraph in (" ".join(block.split()) for block in text.split("\n\n") if block.strip()):
        if paragraph.startswith("## "):
            groups.append((paragraph.removeprefix("## "), []))
        else:
            groups[-1][1].append(paragraph)
    return groups


def _tone(change: float | None, bearish_when_up: bool = False) -> str:
    """The colour class of a change as printed: a price rise is bullish (green), a rise in shorting bearish (red)."""
    if change is None or round(change, 2) == 0:
        return ""
    return "bearish" if (change > 0) == bearish_when_up else "bullish"


def _southbound_rows(facts: report.DayFacts) -> list[tuple[str, str, str, str]]:
    total = next((sb for sb in facts.southbound if sb["channel"] == "TOTAL"), None)
    if total is None:
        return [("No southbound trading this day", "n/a", "", "")]
    ytd = "Net buy, year to date" + ("" if total["ytd_complete"] else
                                     f" ({total['ytd_sessions_loaded']} of {total['ytd_sessions_expected']} sessions)")
    return [("Net buy", FILTERS["hk_bn"](total["net_buy_hkd"]), "", ""),
            (ytd, FILTERS["hk_bn"](total["ytd_net_buy_hkd"]), "", "")]


def key_figures(facts: report.DayFacts) -> list[tuple[str, list[tuple[str, str, str, str]]]]:
    """The table a wrap opens with: (group, rows of (label, level, change, tone)); a market driver not loaded
    reads n/a."""
    number, signed_pct = FILTERS["number"], FILTERS["signed_pct"]
    groups = [
        ("Indices", [(ix["index_name"], number(ix["close"]), signed_pct(ix["change_pct"]), _tone(ix["change_pct"]))
                     for ix in facts.indices]),
        ("Short selling ratio", [(ix["index_name"], FILTERS["ratio"](ix["short_sell_ratio_pct"]),
                                  FILTERS["pp"](ix["short_sell_ratio_change_pp"]),
                                  _tone(ix["short_sell_ratio_change_pp"], bearish_when_up=True))
                                 for ix in facts.indices]),
        ("Southbound Stock Connect", _southbound_rows(facts)),
        ("Market drivers", [(d["name"], report.driver_level(d), signed_pct(d["change_pct"]), _tone(d["change_pct"]))
                            for d in facts.drivers]),
    ]
    return [(title, rows) for title, rows in groups if rows]


def _context(facts: report.DayFacts) -> dict:
    return {
        "facts": facts,
        "key_figures": key_figures(facts),
        "story": story(facts),
        "theme_chart": charts.bar_chart([(theme["name"], theme["avg_change_pct"]) for theme in facts.themes]),
        "close_charts": [charts.line_chart(code, series) for code, series in facts.index_history.items()],
    }


def render(facts: report.DayFacts, template: str, **extra) -> str:
    """A wrap template (wrap.md.j2, wrap.html.j2, page.html.j2) filled with the day's facts."""
    return templates().get_template(template).render(**_context(facts), **extra)


def write_reports(days: list[dt.date], snapshot_path: Path | str | None = None,
                  reports_dir: Path | None = None) -> list[Path]:
    """Write <date>.md and <date>.html for each day the marts hold; returns the files written."""
    target = Path(reports_dir or settings.reports_dir())
    target.mkdir(parents=True, exist_ok=True)
    written = []
    with warehouse.connect(snapshot_path or settings.analyst_database(), read_only=True) as con:
        facts_by_day = [report.day_facts(con, day) for day in days]
    for facts in filter(None, facts_by_day):
        for suffix in ("md", "html"):
            path = target / f"{facts.day.isoformat()}.{suffix}"
            path.write_text(render(facts, f"wrap.{suffix}.j2"))
            written.append(path)
    return written
