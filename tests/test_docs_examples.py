"""The docs' SQL examples print exactly the answers they show, on the analyst snapshot `make run` leaves."""

import re

import duckdb
import pytest

from hk_market import backfill, settings, snapshot

EXAMPLE = re.compile(r"```sql\n(?P<sql>.*?)```\n```\n(?P<output>.*?)```", re.DOTALL)
DOCS = sorted((settings.PROJECT_ROOT / "docs").glob("*.md")) + [settings.PROJECT_ROOT / "README.md"]
EXAMPLES = [(doc.name, sql, output) for doc in DOCS for sql, output in EXAMPLE.findall(doc.read_text())]


@pytest.fixture(scope="module")
def make_run_snapshot(tmp_path_factory, monkeypatch_module):
    """What `make run` leaves: 2024-11-01..14 and the look-back session 2024-10-31, published (the bulk path
    gives the same marts as the daily runs; tests/dags/test_hk_market_backfill.py shows it)."""
    scratch = tmp_path_factory.mktemp("docs")
    monkeypatch_module.setenv("HK_MARKET_WAREHOUSE", str(scratch / "hk_market.duckdb"))
    monkeypatch_module.setenv("HK_MARKET_LANDING", str(scratch / "landing"))
    backfill.run("2024-10-31", "2024-11-14")
    return snapshot.publish(scratch / "hk_market.duckdb", scratch / "hk_market_analyst.duckdb")


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


def test_the_querying_doc_has_at_least_six_analyst_questions():
    assert sum(doc == "querying.md" for doc, _, _ in EXAMPLES) >= 6


@pytest.mark.parametrize(("doc", "sql", "output"), EXAMPLES,
                         ids=[f"{doc} example {n}" for n, (doc, _, _) in enumerate(EXAMPLES, start=1)])
def test_a_docs_example_prints_the_answer_it_shows(make_run_snapshot, doc, sql, output):
    with duckdb.connect(str(make_run_snapshot), read_only=True) as con:
        assert str(con.sql(sql)).strip() == output.strip()
