"""The macro dataset through the real daily DAG on the sample source: its tasks, its mart, the analyst snapshot and
the wrap of 2024-11-14, whose story rests on Bitcoin's "continued rally, which climbed to around $91,051"."""

import re

from markupsafe import escape

from .conftest import WRAP_DAY, query


def test_macro_is_extracted_and_validated_before_the_load_like_every_dataset(daily_dag):
    assert daily_dag.get_task("extract_macro").downstream_task_ids == {"validate_macro"}
    assert daily_dag.get_task("validate_macro").downstream_task_ids == {"load"}


def test_bitcoin_closes_at_the_reference_wraps_91051_in_marts_macro_daily(wrap_warehouse):
    rows = query(wrap_warehouse, "select instrument, close_date, close from marts.macro_daily "
                                 "where trade_date = $day order by instrument", {"day": WRAP_DAY})
    assert [instrument for instrument, _, _ in rows] == ["BTC-USD", "CNH=X", "DX-Y.NYB", "GC=F"]
    assert rows[0] == ("BTC-USD", WRAP_DAY, 91_051.0)


def test_the_analyst_snapshot_holds_marts_macro_daily_with_its_comments(wrap_warehouse):
    snapshot = wrap_warehouse.with_name("hk_market_analyst.duckdb")
    assert query(snapshot, "select count(*) from marts.macro_daily where trade_date = $day",
                 {"day": WRAP_DAY}) == [(4,)]
    (comment,) = query(snapshot, "select comment from duckdb_tables() where table_name = 'macro_daily'")[0]
    assert comment.startswith("One row per trading day and market driver")


def test_the_wrap_of_2024_11_14_states_the_drivers(wrap_warehouse):
    reports = wrap_warehouse.parent / "reports"
    markdown, html = (reports / f"{WRAP_DAY}.md").read_text(), (reports / f"{WRAP_DAY}.html").read_text()
    (paragraph,) = [line for line in markdown.splitlines() if line.startswith("Market drivers:")]
    assert re.fullmatch(r"Market drivers: the US dollar index rose \d\.\d\d% to 10\d\.\d\d, gold fell \d\.\d\d% to "
                        r"US\$2,5\d\d\.\d\d an ounce, Bitcoin rose \d\.\d\d% to around US\$91,051 and USD/CNH "
                        r"(rose|fell) \d\.\d\d% to 7\.2\d\d\d\.", paragraph), paragraph
    assert "| Bitcoin (US$) | 91,051.00 | +" in markdown
    assert f"<p>{escape(paragraph)}</p>" in html
