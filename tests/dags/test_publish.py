"""The DAG's publish step: the analyst snapshot that readers hold across runs, and the daily market wrap."""

import datetime as dt
import re

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


REFERENCE_SENTENCES = [
    "The Hang Seng Index fell 1.96% to 19,435.81",
    "the Hang Seng China Enterprises Index fell 2.21% to 6,973.08",
    "the Hang Seng TECH Index fell 3.08% to 4,318.32",
    "the Hang Seng Index's short selling ratio was 21.74%, up 2.35 points",
    "the Hang Seng China Enterprises Index's was 22.10%, up 3.94 points",
    "southbound net buying of HK$19.66 billion",
    "Kingsoft Cloud (03896) rose 7.52% to HK$2.43",
]


def test_the_wrap_for_2024_11_14_states_the_reference_figures(wrap_warehouse):
    markdown, html = wrap_text(wrap_warehouse, "md"), wrap_text(wrap_warehouse, "html")
    for sentence in REFERENCE_SENTENCES:
        assert sentence in markdown
        assert sentence.replace("'", "&#39;") in html


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
