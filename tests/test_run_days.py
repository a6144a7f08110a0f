import datetime as dt
import subprocess
import sys
import time

from hk_market import warehouse
from hk_market.airflow_glue import run_days

DAY = dt.date(2024, 11, 14)


def a_run(run_id: str, tasks: dict[str, str]) -> run_days.DayRun:
    return run_days.DayRun(DAY, run_id, "failed" if "failed" in tasks.values() else "success", tasks,
                           {run_days.stage_of(task): 0.5 for task in tasks}, seconds=2.0)


def test_extract_and_validate_tasks_are_summed_into_one_stage_each():
    assert [run_days.stage_of(task) for task in ("extract_short_selling", "validate_prices", "refresh_turnover",
                                                 "publish")] == ["extract", "validate", "refresh_turnover", "publish"]


def test_what_ran_shows_rows_per_dataset_and_the_validation_outcome_from_the_audit(scratch_warehouse):
    with warehouse.connect() as con:
        warehouse.ensure_schema(con)
        con.execute("insert into audit.runs values ('r1', $day, $day, 'sample', 'prices', 174, now()), "
                    "('r1', $day, $day, 'sample', 'southbound', 2, now())", {"day": DAY})
        con.execute("insert into audit.validation_results values "
                    "('r1', 'prices', $day, $day, 'ExpectColumnValuesToNotBeNull', 'close', 'critical', false, "
                    "'3 rows', now()), "
                    "('r1', 'southbound', $day, $day, 'ExpectColumnValuesToNotBeNull', 'channel', 'critical', true, "
                    "'', now())", {"day": DAY})
    table = run_days.what_ran([a_run("r1", {"plan": "success", "validate_prices": "failed"})]).splitlines()
    assert table[1].split() == ["Day", "Run", "prices", "short_selling", "southbound", "macro", "Validation",
                                "Outcome"]
    assert table[2].split() == ["2024-11-14", "failed", "174", "-", "2", "-", "1", "of", "2", "failed", "(prices)",
                                "failed:", "validate_prices"]


def test_seconds_per_stage_has_a_column_per_stage_and_the_run_wall_time():
    table = run_days.seconds_per_stage([a_run("r1", {"plan": "success", "extract_prices": "success",
                                                     "extract_southbound": "success"})]).splitlines()
    assert table[1].split() == ["Day", "plan", "extract", "run"]
    assert table[2].split() == ["2024-11-14", "0.5", "0.5", "2.0"]


def test_what_ran_on_a_fresh_machine_where_no_run_reached_the_warehouse_shows_no_rows(scratch_warehouse):
    skipped = a_run("r1", {"plan": "skipped"})
    assert not scratch_warehouse.exists()
    table = run_days.what_ran([skipped]).splitlines()
    assert table[2].split() == ["2024-11-14", "success", "-", "-", "-", "-", "-", "skipped:", "not", "an", "HKEX",
                                "trading", "day"]


def test_a_second_run_waits_for_the_first_and_says_so(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("AIRFLOW_HOME", str(tmp_path))
    holder = subprocess.Popen([sys.executable, "-c", "import time\nfrom hk_market.airflow_glue import run_days\n"
                               "with run_days.one_at_a_time():\n    print('held', flush=True); time.sleep(2)"],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        started = time.monotonic()
        with run_days.one_at_a_time():
            waited = time.monotonic() - started
        assert holder.wait(timeout=30) == 0
        assert waited > 0.5  # it held the lock until the first let go
        assert "another run_days holds" in capsys.readouterr().err
    finally:
        holder.kill()
        holder.wait()
