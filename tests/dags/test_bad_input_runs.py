"""Bad input through the real hk_market_daily DAG: the cross-dataset check runs after what it checks
against has landed, and a day that fails it never reaches core or marts."""

import datetime as dt

from hk_market.datasets.short_selling import sample as short_selling_sample

from ..test_bad_inputs import BAD_INPUTS
from ..warehouse_contents import assert_same_contents, contents
from .conftest import WRAP_DAY


def test_short_selling_is_validated_only_after_the_prices_it_is_checked_against_have_landed(daily_dag):
    assert "extract_prices" in daily_dag.get_task("validate_short_selling").upstream_task_ids


def test_short_turnover_above_a_stocks_turnover_fails_the_run_and_leaves_core_and_marts_unchanged(
    run_daily, tmp_path, monkeypatch
):
    warehouse = tmp_path / "hk_market.duckdb"
    state, tasks = run_daily(dt.date(2024, 11, 13), warehouse)
    assert state == "success", tasks
    before = contents(warehouse)
    bad = BAD_INPUTS["short_selling: short turnover above total turnover"]
    fetch = short_selling_sample.fetch
    monkeypatch.setattr(short_selling_sample, "fetch", lambda *args, **kwargs: bad.payload(fetch(*args, **kwargs)))

    state, tasks = run_daily(WRAP_DAY, warehouse)

    assert state == "failed"
    assert (tasks["validate_short_selling"], tasks["load"]) == ("failed", "upstream_failed"), tasks
    assert all(tasks[f"validate_{dataset}"] == "success" for dataset in ("prices", "southbound")), tasks
    assert_same_contents(contents(warehouse), before)
