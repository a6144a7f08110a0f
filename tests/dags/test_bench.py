"""`make bench` itself, over one year: every stage printed, and nothing written outside its scratch."""

import os
import re
import subprocess
import sys
from pathlib import Path

from .conftest import PROJECT


def test_the_benchmark_prints_each_stage_and_leaves_the_operators_files_alone(airflow_db, tmp_path):
    # make exports the project's snapshot and reports paths to the benchmark, as here.
    snapshot, reports = tmp_path / "hk_market_analyst.duckdb", tmp_path / "reports"
    env = dict(os.environ, HK_MARKET_SNAPSHOT=str(snapshot), HK_MARKET_REPORTS=str(reports))
    done = subprocess.run([sys.executable, str(PROJECT / "bench" / "backfill_bench.py"), "--years", "1"],
                          env=env, capture_output=True, text=True, timeout=900)

    assert done.returncode == 0, done.stderr[-3000:]
    printed = done.stdout.splitlines()

    def figures(stage: str) -> list[str]:
        return next(line.removeprefix(stage).split() for line in printed if line.startswith(stage))

    for stage in ("extract", "validate", "load", "marts", "library path, whole pipeline",
                  "rebuild every mart, full history", "floor: bare DuckDB load of the prices, best of 3"):
        rows, seconds, rate, peak_mb = figures(stage)
        assert int(rows.replace(",", "")) > 0 and float(seconds) > 0 and float(peak_mb) > 0, stage
    for run in ("Airflow: hk_market_backfill under airflow dags test", "Airflow: hk_market_daily for 2024-11-14"):
        seconds, peak_mb = figures(run)[-2:]
        assert float(seconds) > 0 and float(peak_mb) > 100, run  # Airflow itself takes more
    assert any(re.match(r"library path / floor: \d+\.\dx", line) for line in printed)
    assert not snapshot.exists() and not reports.exists()
    scratch = Path(re.search(r"scratch (\S+)", printed[0]).group(1))
    assert not scratch.exists()
