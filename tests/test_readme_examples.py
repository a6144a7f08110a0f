"""The README's analyst questions print exactly the answers it shows, on the warehouse `make run` builds."""

import re

import duckdb
import pytest

from hk_market import backfill, settings

EXAMPLE = re.compile(r"```sql\n(?P<sql>.*?)```\n```\n(?P<output>.*?)```", re.DOTALL)
EXAMPLES = EXAMPLE.findall((settings.PROJECT_ROOT / "README.md").read_text())


@pytest.fixture(scope="module")
def make_run_warehouse(tmp_path_factory, monkeypatch_module):
    """What `make run` loads: 2024-11-01..14 and the look-back session 2024-10-31 (the bulk path gives
    the same marts as the daily runs; tests/dags/test_hk_market_backfill.py shows it)."""
    scratch = tmp_path_factory.mktemp("readme")
    monkeypatch_module.setenv("HK_MARKET_WAREHOUSE", str(scratch / "hk_market.duckdb"))
    monkeypatch_module.setenv("HK_MARKET_LANDING", str(scratch / "landing"))
    backfill.run("2024-10-31", "2024-11-14")
    return scratch / "hk_market.duckdb"


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


def test_the_readme_has_at_least_six_analyst_questions():
    assert len(EXAMPLES) >= 6


@pytest.mark.parametrize(("sql", "output"), EXAMPLES, ids=[f"question {n}" for n in range(1, len(EXAMPLES) + 1)])
def test_a_readme_question_prints_the_answer_it_shows(make_run_warehouse, sql, output):
    with duckdb.connect(str(make_run_warehouse), read_only=True) as con:
        assert str(con.sql(sql)).strip() == output.strip()
