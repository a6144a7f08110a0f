"""Benchmark: the full sample market (about 2,600 securities) over 10 years, extract → validate → load → marts.

    make bench            # or: .venv/bin/python bench/backfill_bench.py [--years 10] [--skip-airflow]

Prints per stage rows, seconds, rows/s and peak memory (RSS) for the library path, a rebuild of every
mart over the whole history, the Airflow path (the bulk backfill DAG under `airflow dags test`), and
the floor: a bare DuckDB load of the same price rows from the landed Parquet, measured in the same run.
Targets (DESIGN.md): library < 15 s, Airflow < 90 s, peak memory < 2 GB, mart rebuild < 5 s.
"""

import argparse
import datetime as dt
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
LAST_DAY = dt.date(2024, 11, 14)
RUN_ID = "bench"


class PeakMemory:
    """Samples this process's resident set size, so each stage reports its own peak."""

    def __init__(self):
        self.peak_bytes = 0
        self._stop = threading.Event()
        threading.Thread(target=self._sample, daemon=True).start()

    def _sample(self):
        while not self._stop.wait(0.02):
            self.peak_bytes = max(self.peak_bytes, _rss_bytes())

    def reset(self) -> None:
        self.peak_bytes = _rss_bytes()


def _rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@contextmanager
def stage(results: list, memory: PeakMemory, name: str):
    record = {"stage": name}
    memory.reset()
    started = time.perf_counter()
    yield record
    record["seconds"] = time.perf_counter() - started
    record["peak_mb"] = memory.peak_bytes / 2**20
    results.append(record)


def library_path(first: dt.date, memory: PeakMemory) -> list[dict]:
    """The bulk backfill's steps chunk by chunk, as backfill.run() does them, timed per stage."""
    from hk_market import DATASETS, backfill, landing, pipeline

    sessions = backfill.check_range(first, LAST_DAY)
    totals = {name: {"stage": name, "rows": 0, "seconds": 0.0, "peak_mb": 0.0}
              for name in ("extract", "read landing", "validate", "load")}
    for part in backfill.chunks(sessions):
        frames = {}
        steps = (
            ("extract", lambda p=part: sum(backfill.extract_chunk(p, DATASETS, refetch=True).values())),
            ("read landing", lambda p=part, f=frames: sum(len(f.setdefault(d, landing.read(d, p))) for d in DATASETS)),
            ("validate", lambda p=part, f=frames: sum(pipeline.validate(d, p, RUN_ID, f[d], f["prices"], False)["rows"]
                                                      for d in DATASETS)),
            ("load", lambda p=part, f=frames: sum(pipeline.load(p, RUN_ID, "sample", DATASETS, f).values())),
        )
        for name, step in steps:
            chunk_results: list[dict] = []
            with stage(chunk_results, memory, name) as record:
                record["rows"] = step()
            totals[name]["rows"] += record["rows"]
            totals[name]["seconds"] += record["seconds"]
            totals[name]["peak_mb"] = max(totals[name]["peak_mb"], record["peak_mb"])
    results = list(totals.values())
    with stage(results, memory, "marts") as record:
        pipeline.build(sessions)
        record["rows"] = _rows("marts.security_daily")
    return results


def _rows(table: str) -> int:
    from hk_market import warehouse

    with warehouse.connect() as con:
        return con.execute(f"select count(*) from {table}").fetchone()[0]


def rebuild_marts(first: dt.date, memory: PeakMemory) -> dict:
    from hk_market import calendar, pipeline

    results: list[dict] = []
    with stage(results, memory, "rebuild every mart, full history") as record:
        pipeline.build(calendar.sessions(first, LAST_DAY))
        record["rows"] = _rows("marts.security_daily")
    return results[0]


def floor(first: dt.date, memory: PeakMemory, scratch: Path) -> dict:
    import duckdb

    from hk_market import calendar, landing

    files = [str(landing.path("prices", day)) for day in calendar.sessions(first, LAST_DAY)]
    results: list[dict] = []
    with stage(results, memory, "floor: bare DuckDB load of the price Parquet") as record:
        con = duckdb.connect(str(scratch / "floor.duckdb"))
        con.execute("create table prices as select * from read_parquet($files)", {"files": files})
        record["rows"] = con.execute("select count(*) from prices").fetchone()[0]
        con.close()
    return results[0]


def airflow_path(first: dt.date, scratch: Path) -> dict:
    env = dict(os.environ, HK_MARKET_WAREHOUSE=str(scratch / "airflow" / "hk_market.duckdb"),
               HK_MARKET_LANDING=str(scratch / "airflow" / "landing"),
               AIRFLOW_CONN_DUCKDB_DEFAULT=json.dumps({"conn_type": "duckdb",
                                                        "host": str(scratch / "airflow" / "hk_market.duckdb")}),
               AIRFLOW__LOGGING__LOGGING_LEVEL="WARNING")
    conf = json.dumps({"start": first.isoformat(), "end": LAST_DAY.isoformat()})
    started = time.perf_counter()
    done = subprocess.run([str(Path(sys.executable).with_name("airflow")), "dags", "test", "hk_market_backfill",
                           "-c", conf], env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"the Airflow path failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"stage": "Airflow: hk_market_backfill under airflow dags test", "seconds": seconds, "peak_mb": peak_mb,
            "rows": None}


def print_table(rows: list[dict]) -> None:
    print(f"\n{'stage':<48} {'rows':>11} {'seconds':>8} {'rows/s':>12} {'peak MB':>8}")
    for row in rows:
        count = f"{row['rows']:,}" if row.get("rows") is not None else ""
        rate = f"{row['rows'] / row['seconds']:,.0f}" if row.get("rows") else ""
        print(f"{row['stage']:<48} {count:>11} {row['seconds']:>8.2f} {rate:>12} {row['peak_mb']:>8.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--skip-airflow", action="store_true")
    args = parser.parse_args()
    first = LAST_DAY.replace(year=LAST_DAY.year - args.years) + dt.timedelta(days=1)
    scratch = Path(tempfile.mkdtemp(prefix="hk-market-bench-"))
    os.environ.update(HK_MARKET_SAMPLE_UNIVERSE="full", HK_MARKET_SOURCE="sample",
                      HK_MARKET_WAREHOUSE=str(scratch / "library" / "hk_market.duckdb"),
                      HK_MARKET_LANDING=str(scratch / "library" / "landing"))
    print(f"full sample market, {first} to {LAST_DAY}, scratch {scratch}")
    memory = PeakMemory()
    started = time.perf_counter()
    library = library_path(first, memory)
    library_seconds = time.perf_counter() - started
    rebuild = rebuild_marts(first, memory)
    bare = floor(first, memory, scratch)
    rows = [*library, {"stage": "library path, whole pipeline", "rows": library[0]["rows"],
                       "seconds": library_seconds, "peak_mb": max(row["peak_mb"] for row in library)},
            rebuild, bare]
    if not args.skip_airflow:
        rows.append(airflow_path(first, scratch))
    print_table(rows)
    print(f"\nlibrary path / floor: {library_seconds / bare['seconds']:.1f}x "
          f"(targets: library < 15 s, Airflow < 90 s, peak < 2048 MB, mart rebuild < 5 s)")


if __name__ == "__main__":
    main()
