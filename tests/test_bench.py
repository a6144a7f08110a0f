"""`make bench` itself, over one year: every stage printed with wall and CPU seconds, on a DuckDB file and on a
DuckLake (a local Postgres it starts and stops), and nothing written outside its scratch."""

import os
import re
import subprocess
import sys
from pathlib import Path

from hk_market import settings


def test_the_benchmark_prints_each_stage_and_leaves_the_operators_files_alone(tmp_path):
    # make exports the project's Airflow home, snapshot and reports paths to the benchmark, as here.
    operator = {"AIRFLOW_HOME": tmp_path / "airflow", "HK_MARKET_SNAPSHOT": tmp_path / "hk_market_analyst.duckdb",
                "HK_MARKET_REPORTS": tmp_path / "reports"}
    env = dict(os.environ, **{name: str(path) for name, path in operator.items()})
    done = subprocess.run([sys.executable, str(settings.PROJECT_ROOT / "bench" / "backfill_bench.py"), "--years", "1"],
                          env=env, capture_output=True, text=True, timeout=1500)

    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    printed = done.stdout.splitlines()

    def figures(stage: str) -> list[str]:
        return next(line.removeprefix(stage).split() for line in printed if line.startswith(stage))

    for warehouse in ("file", "ducklake"):
        for stage in ("extract", "validate", "load", "library path, whole pipeline",
                      "rebuild every mart, full history", "copy of the two big tables (the rebuild's floor)"):
            rows, seconds, cpu_seconds, rate, peak_mb = figures(f"{warehouse}: {stage}")
            assert int(rows.replace(",", "")) > 0 and float(seconds) > 0 and float(peak_mb) > 0, (warehouse, stage)
            assert float(cpu_seconds) > 0, (warehouse, stage)
        assert any(re.match(rf"rebuild / copy of the two big tables, {warehouse}: \d+\.\dx CPU", line)
                   for line in printed)
        assert any(re.match(rf"library path / floor, {warehouse}: \d+\.\dx wall, \d+\.\dx CPU", line)
                   for line in printed)
    rows, seconds, cpu_seconds, rate, peak_mb = figures("floor: bare DuckDB load of the prices, best of 3")
    assert float(seconds) > 0 and float(cpu_seconds) > 0
    for run in ("Airflow: hk_market_backfill under airflow dags test", "Airflow: hk_market_daily for 2024-11-14"):
        seconds, peak_mb = figures(run)[-2:]
        assert float(seconds) > 0 and float(peak_mb) > 100, run  # Airflow itself takes more
    assert any(re.match(r"library path, ducklake / file: \d+\.\d\dx wall, \d+\.\d\dx CPU", line) for line in printed)
    assert [name for name, path in operator.items() if path.exists()] == []
    scratch = Path(re.search(r"scratch (\S+)", printed[0]).group(1))
    assert not scratch.exists()
