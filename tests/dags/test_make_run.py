"""What `make run` prints at its end: run_days.main() itself, through the real DAG, over a holiday and a session;
and what its runs look like in the Airflow UI afterwards (through the REST API the UI calls)."""

import contextlib
import datetime as dt
import io
from types import SimpleNamespace

import pytest

from hk_market import settings
from hk_market.airflow_glue import run_days
from hk_market.publish import report

from .conftest import WRAP_DAY, pointed_at
from .test_api_server import REQUEST_SECONDS
from .test_api_server import api as api  # a running api-server, logged in


@pytest.fixture(scope="module")
def make_run(daily_dag, tmp_path_factory) -> SimpleNamespace:
    """run_days.main() over 2024-10-11 (Chung Yeung Festival) and 2024-10-14 (a Monday session), as `make run`."""
    warehouse = tmp_path_factory.mktemp("make-run") / "hk_market.duckdb"
    printed, started = io.StringIO(), dt.datetime.now(dt.UTC)
    with pointed_at(warehouse), contextlib.redirect_stdout(printed):
        exit_code = run_days.main(["--from", "2024-10-11", "--to", "2024-10-14"])
        snapshot, reports = settings.snapshot_path(), settings.reports_dir()
    return SimpleNamespace(exit_code=exit_code, printed=printed.getvalue().splitlines(), warehouse=warehouse,
                           snapshot=snapshot, reports=reports, started=started, ended=dt.datetime.now(dt.UTC))


def test_make_run_ends_with_what_ran_the_last_sessions_market_and_where_things_are(make_run):
    warehouse, snapshot, reports, printed = make_run.warehouse, make_run.snapshot, make_run.reports, make_run.printed
    assert make_run.exit_code == 0
    table = printed[printed.index("What ran (rows loaded per dataset, the look-back session included)") + 1:]
    assert table[0].split() == ["Day", "Run", "prices", "short_selling", "southbound", "macro", "Validation",
                                "Outcome"]
    assert table[1].split() == ["2024-10-11", "success", "-", "-", "-", "-", "-", "skipped:", "not", "an", "HKEX",
                                "trading", "day"]
    day, state, prices, short_selling, southbound, macro, checked, passed, outcome = table[2].split()
    assert (day, state, passed, outcome) == ("2024-10-14", "success", "passed", "loaded")
    assert int(prices) > 300 and int(short_selling) > 200 and int(southbound) == 4  # with the look-back 2024-10-10
    assert int(macro) == 2 * 4  # the four drivers on the day and its look-back
    assert int(checked) > 50
    stages = printed[printed.index("Seconds per stage (task durations; extract and validate summed over datasets)") + 1]
    assert set(stages.split()) == {"Day", "plan", "extract", "validate", "load", "refresh_turnover",
                                   "publish", "summarise", "run"}
    assert "Hong Kong market, Monday 14 October 2024" in printed
    assert printed[-3:] == [
        f"Warehouse:        {warehouse}",
        f"Analyst snapshot: {snapshot}   (make sql)",
        f"Reports:          {reports}/   (2 daily wraps as .md and .html; latest 2024-10-14.md and 2024-10-14.html)",
    ]


def test_the_days_summary_shows_the_wrap_days_indices_southbound_and_top_gainer(wrap_warehouse):
    summary = report.day_summary(WRAP_DAY, wrap_warehouse).splitlines()
    assert f"Hong Kong market, {WRAP_DAY:%A %d %B %Y}" == "Hong Kong market, Thursday 14 November 2024"
    assert "Hong Kong market, Thursday 14 November 2024" in summary[:2]  # after the sample's banner, if any
    rows = [line.split() for line in summary]
    assert ["HSI", "19,435.81", "-1.96%", "21.74%", "+2.35"] in rows
    assert ["HSCEI", "6,973.08", "-2.21%", "22.10%", "+3.94"] in rows
    assert ["HSTECH", "4,318.32", "-3.08%"] == next(row for row in rows if row[:1] == ["HSTECH"])[:3]
    assert next(row for row in rows if row[:1] == ["TOTAL"])[:4] == ["TOTAL", "HK$", "19.66", "bn"]
    gainers = rows[summary.index("Top gainers") + 1]
    assert gainers[:4] == ["1.", "03896", "Kingsoft", "Cloud"] and gainers[-2:] == ["2.430", "+7.52%"]
    assert {"Themes (average move; best member)", "Sectors (average move; advancers/decliners)"} <= set(summary)


def test_a_day_without_marts_is_said_plainly(wrap_warehouse):
    assert report.day_summary(dt.date(2024, 11, 16), wrap_warehouse) == (
        "No marts for 2024-11-16: not a trading day, or not loaded yet.")


def test_make_runs_runs_show_real_durations_no_missed_deadline_and_are_cleared_from_the_ui_to_run_again(
    make_run, api
):
    base_url, session = api
    grid = session.get(f"{base_url}/ui/grid/runs/hk_market_daily", timeout=REQUEST_SECONDS)
    grid.raise_for_status()
    runs = {run["run_id"]: run for run in grid.json()}
    listed = session.get(f"{base_url}/api/v2/dags/hk_market_daily/dagRuns", timeout=REQUEST_SECONDS,
                         params={"logical_date_gte": "2024-10-11T00:00:00Z",
                                 "logical_date_lte": "2024-10-15T00:00:00Z"})
    listed.raise_for_status()
    ours = {run["logical_date"][:10]: run for run in listed.json()["dag_runs"]}
    assert sorted(ours) == ["2024-10-11", "2024-10-14"]
    wall_seconds = (make_run.ended - make_run.started).total_seconds()
    for run in ours.values():
        shown = runs[run["dag_run_id"]]
        assert 0 < shown["duration"] < wall_seconds  # dag.test() had dated its start at the logical date
        assert dt.datetime.fromisoformat(shown["start_date"]) >= make_run.started
        assert shown["has_missed_deadline"] is False

    # One run per logical date: a second run for 2024-10-14 is refused, as the UI's trigger shows it...
    again = session.post(f"{base_url}/api/v2/dags/hk_market_daily/dagRuns", timeout=REQUEST_SECONDS,
                         json={"logical_date": "2024-10-14T09:30:00Z"})
    assert again.status_code == 409
    # ...and the README says to clear the run instead: its tasks are cleared and the run queued again.
    run_id = ours["2024-10-14"]["dag_run_id"]
    cleared = session.post(f"{base_url}/api/v2/dags/hk_market_daily/dagRuns/{run_id}/clear", timeout=REQUEST_SECONDS,
                           json={"dry_run": False})
    cleared.raise_for_status()
    assert cleared.json()["state"] == "queued"
    tasks = session.get(f"{base_url}/api/v2/dags/hk_market_daily/dagRuns/{run_id}/taskInstances",
                        timeout=REQUEST_SECONDS)
    tasks.raise_for_status()
    assert {task["state"] for task in tasks.json()["task_instances"]} == {None}


def test_a_past_day_triggered_from_the_ui_is_due_90_minutes_after_it_was_queued_not_after_its_day(api):
    base_url, session = api
    triggered = session.post(f"{base_url}/api/v2/dags/hk_market_daily/dagRuns", timeout=REQUEST_SECONDS,
                             json={"logical_date": "2024-10-31T09:30:00Z"})
    triggered.raise_for_status()
    run = triggered.json()
    deadlines = session.get(f"{base_url}/ui/dags/hk_market_daily/dagRuns/{run['dag_run_id']}/deadlines",
                            timeout=REQUEST_SECONDS)
    deadlines.raise_for_status()
    [deadline] = deadlines.json()["deadlines"]
    queued_at = dt.datetime.fromisoformat(run["queued_at"])
    assert dt.datetime.fromisoformat(deadline["deadline_time"]) == queued_at + dt.timedelta(minutes=90)
    assert deadline["missed"] is False
    assert "within 90 minutes" in deadline["alert_name"]  # beside the UI's own rule text, which rounds to 2 hours
