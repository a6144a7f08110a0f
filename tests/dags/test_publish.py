"""The DAG's publish step: the analyst snapshot that readers hold across runs, and the daily market wrap."""

import datetime as dt
import re

import pytest
from markupsafe import escape

from ..analyst_session import AnalystSession
from .conftest import WRAP_DAY

DAY_BEFORE = dt.date(2024, 11, 13)


def test_an_analyst_holding_the_snapshot_open_across_a_full_run_keeps_reading(run_daily, tmp_path):
    warehouse = tmp_path / "hk_market.duckdb"
    snapshot = tmp_path / "hk_market_analyst.duckdb"
    assert run_daily(DAY_BEFORE, warehouse)[0] == "success"
    latest = "select max(trade_date) from marts.market_summary"
    with AnalystSession(snapshot) as analyst:
        assert analyst.one(latest) == str(DAY_BEFORE)
        state, tasks = run_daily(WRAP_DAY, warehouse)
        assert state == "success", tasks
        assert analyst.one(latest) == str(DAY_BEFORE)  # the snapshot it opened, whole
        assert analyst.one("select count(*) from marts.security_daily") != "0"
    with AnalystSession(snapshot) as next_analyst:
        assert next_analyst.one(latest) == str(WRAP_DAY)


def wrap_text(wrap_warehouse, suffix: str) -> str:
    return (wrap_warehouse.parent / "reports" / f"{WRAP_DAY}.{suffix}").read_text()


def story_paragraph(text: str, start: str) -> str:
    """The one paragraph of the wrap's story that starts with `start`: a line of its own in both formats."""
    lines = [line.removeprefix("<p>") for line in text.splitlines()]
    (paragraph,) = [line for line in lines if line.startswith(start)]
    return paragraph


# (paragraph, fragment) for each figure of the reference wrap. The seeds use the HKEX names where the wrap
# does not: 01030 is Seazen Group ("New City Development"), 02878 Solomon Systech ("Silicon Integrated
# Systems"), 01499 OKG Technology ("OKLink").
REFERENCE_FIGURES = [
    ("The Hang Seng Index", "The Hang Seng Index fell 1.96% to 19,435.81"),
    ("The Hang Seng Index", "the Hang Seng China Enterprises Index fell 2.21% to 6,973.08"),
    ("The Hang Seng Index", "the Hang Seng TECH Index fell 3.08% to 4,318.32"),
    ("Short selling:", "the Hang Seng Index's short selling ratio was 21.74%, up 2.35 points"),
    ("Short selling:", "the Hang Seng China Enterprises Index's was 22.10%, up 3.94 points"),
    ("Stock Connect", "southbound net buying of HK$19.66 billion"),
    ("Gold ", "Lingbao Gold Group (03330) -6."),  # "plunged over 6%"
    ("Gold ", "Zijin Mining Group (02899) -3.74%"),
    ("Gold ", "Zhaojin Mining Industry (01818) -3.50%"),
    ("Property ", "Seazen Group (01030) -7.9"),  # "dropped nearly 8%"
    ("Property ", "Longfor Group (00960) -7.19%"),
    ("Property ", "Sunac China Holdings (01918) -7.04%"),
    ("Semiconductors ", "Hua Hong Semiconductor (01347) -7.81%"),
    ("Semiconductors ", "Solomon Systech (02878) -7.14%"),
    ("Semiconductors ", "Shanghai Fudan Microelectronics (01385) -2.70%"),
    ("Crypto-related ", "Meitu (01357) +5.46%"),
    ("Crypto-related ", "Boyaa Interactive (00434) +5.21%"),
    ("Crypto-related ", "OKG Technology (01499) +3.69%"),
    ("Bitcoin ETFs ", "ChinaAMC Bitcoin ETF (03042) +4.24%"),
    ("Bitcoin ETFs ", "Harvest Bitcoin Spot ETF (03439) +3.95%"),
    ("Bitcoin ETFs ", "Bosera HashKey Bitcoin ETF (03008) +3.88%"),
    ("Top gainers:", "Kingsoft Cloud (03896) +7.52% to HK$2.43"),
    ("Top gainers:", "China Ruyi Holdings (00136) +4.15% to HK$2.01"),
]


@pytest.mark.parametrize(("start", "fragment"), REFERENCE_FIGURES)
def test_the_wrap_for_2024_11_14_states_each_reference_figure(wrap_warehouse, start, fragment):
    markdown, html = wrap_text(wrap_warehouse, "md"), wrap_text(wrap_warehouse, "html")
    assert fragment in story_paragraph(markdown, start)
    assert escape(fragment) in story_paragraph(html, escape(start))


def test_the_wrap_names_each_theme_of_the_reference_and_its_direction(wrap_warehouse):
    markdown = wrap_text(wrap_warehouse, "md")
    for theme, verb in [("Gold", "fell"), ("Property", "fell"), ("Semiconductors", "fell"),
                        ("Crypto-related", "rose"), ("Bitcoin ETFs", "rose")]:
        assert re.search(rf"^{theme} {verb} \d+\.\d\d% on average", markdown, re.MULTILINE), theme


def test_the_html_wrap_is_self_contained_with_its_charts(wrap_warehouse):
    html = wrap_text(wrap_warehouse, "html")
    assert "<style>" in html
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html), "the report must not load anything"
    assert html.count("<svg") == 4  # theme bars, then one close chart per index
    assert 'aria-label="Themes: average move, %"' in html
    for index_code in ("HSI", "HSCEI", "HSTECH"):
        assert f'aria-label="{index_code} closes"' in html


def test_every_session_the_run_loaded_gets_a_wrap(wrap_warehouse):
    written = sorted(path.name for path in (wrap_warehouse.parent / "reports").iterdir())
    assert written == [f"{day}.{suffix}" for day in (DAY_BEFORE, WRAP_DAY) for suffix in ("html", "md")]
