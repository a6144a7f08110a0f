"""What `make run` prints at its end: run_days.main() itself, through the real DAG, over a holiday and a session."""

import datetime as dt

from hk_market import report, run_days, settings

from .conftest import WRAP_DAY, pointed_at


def test_make_run_ends_with_what_ran_the_last_sessions_market_and_where_things_are(daily_dag, tmp_path, capsys):
    warehouse = tmp_path / "hk_market.duckdb"
    with pointed_at(warehouse):  # 2024-10-11 is the Chung Yeung Festival; 2024-10-14 a Monday session
        exit_code = run_days.main(["--from", "2024-10-11", "--to", "2024-10-14"])
        snapshot, reports = settings.snapshot_path(), settings.reports_dir()
    printed = capsys.readouterr().out.splitlines()
    assert exit_code == 0
    table = printed[printed.index("What ran (rows loaded per dataset, the look-back session included)") + 1:]
    assert table[0].split() == ["Day", "Run", "prices", "short_selling", "southbound", "Validation", "Outcome"]
    assert table[1].split() == ["2024-10-11", "success", "-", "-", "-", "-", "skipped:", "not", "an", "HKEX",
                                "trading", "day"]
    day, state, prices, short_selling, southbound, checked, passed, outcome = table[2].split()
    assert (day, state, passed, outcome) == ("2024-10-14", "success", "passed", "loaded")
    assert int(prices) > 300 and int(short_selling) > 200 and int(southbound) == 4  # with the look-back 2024-10-10
    assert int(checked) > 50
    stages = printed[printed.index("Seconds per stage (task durations; extract and validate summed over datasets)") + 1]
    assert set(stages.split()) == {"Day", "plan", "extract", "validate", "load", "refresh_turnover", "build_marts",
                                   "publish", "summarise", "run"}
    assert "Hong Kong market, Monday 14 October 2024" in printed
    assert printed[-3:] == [
        f"Warehouse:        {warehouse}",
        f"Analyst snapshot: {snapshot}   (make sql)",
        f"Reports:          {reports}/   (2 daily wraps as .md and .html; latest 2024-10-14.md and 2024-10-14.html)",
    ]


def test_the_days_summary_shows_the_wrap_days_indices_southbound_and_top_gainer(wrap_warehouse):
    summary = report.day_summary(WRAP_DAY, wrap_warehouse).splitlines()
    assert summary[0] == f"Hong Kong market, {WRAP_DAY:%A %d %B %Y}" == "Hong Kong market, Thursday 14 November 2024"
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
