"""The daily market wrap, from the marts only: reports/<date>.md and a self-contained reports/<date>.html.

The words are one template (templates/story.txt.j2) that both formats print; the HTML adds inline CSS
and inline SVG charts (theme moves as bars; index closes over the last 20 sessions).
"""

import datetime as dt
from functools import cache
from pathlib import Path

import jinja2

from hk_market import charts, report, settings, warehouse

TEMPLATES = Path(__file__).with_name("templates")


def _price(value: float) -> str:
    """HKEX prices have up to three decimals; print at least two."""
    text = f"{value:,.3f}"
    return text[:-1] if text.endswith("0") else text


FILTERS = {
    "number": lambda value: f"{value:,.2f}",
    "ratio": lambda value: "not known" if value is None else f"{value:,.2f}%",  # short selling not loaded
    "pct": lambda value: f"{abs(value):.2f}%",
    "signed_pct": lambda value: "n/a" if value is None else f"{value:+.2f}%",
    "signed_pp": lambda value: "n/a" if value is None else f"{value:+.2f}",
    "points": lambda value: f"{abs(value):.2f} points",
    "billions": lambda value: f"HK${abs(value) / 1e9:,.2f} billion",
    "bn": lambda value: f"{value / 1e9:,.2f}",
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


def story(facts: report.DayFacts) -> list[str]:
    """The wrap's paragraphs, in plain words."""
    text = templates().get_template("story.txt.j2").render(facts=facts)
    return [" ".join(paragraph.split()) for paragraph in text.split("\n\n") if paragraph.strip()]


def _context(facts: report.DayFacts) -> dict:
    return {
        "facts": facts,
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
