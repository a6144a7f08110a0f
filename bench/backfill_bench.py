"""Benchmark: the full sample market (about 2,600 securities) over 10 years, extract → validate → load → marts.

    make bench            # or: .venv/bin/python bench/backfill_bench.py [--years 10] [--skip-airflow]
                          #     [--warehouses file,ducklake]

Prints per stage rows, wall and CPU seconds, rows/s and peak memory (RSS) for the library path (backfill.run())
and a rebuild of every mart over the whole history, on each warehouse in turn: a DuckDB file, and a DuckLake
whose catalog is a throwaway local Postgres (tests/services/postgres.py, stopped by pid at the end) with its
data in the scratch folder; then the Airflow path (the bulk backfill DAG under `airflow dags test`, on the
file), and the floor: a bare DuckDB load of the same price rows from the landed Parquet, measured in the
same run (the fastest of FLOOR_REPEATS). Each library path is printed as a ratio to the floor, wall and CPU.
Targets (docs/benchmark.md): library path at most 10x the floor's CPU, DuckLake at most 1.5x the file, peak memory
< 2 GB. The Postgres server's own CPU is printed beside the DuckLake's.

The library path extracts each chunk in a worker process while the one before is validated and
loaded, so its stages add up to more than the whole. A stage's peak memory is the RSS of this process and
its children (the worker) summed while the stage ran here (psutil, which Airflow installs); the worker's
stages show the worker's own peak.
"""

import argparse
import datetime as dt
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import psutil

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))  # tests.services.postgres: the DuckLake's catalog server
LAST_DAY = dt.date(2024, 11, 14)
RUN_ID = "bench"
FLOOR_REPEATS = 3
BIG_TABLES = ("core.security_prices", "marts.security_daily")  # what a full rebuild writes most of
WORKER_STAGES = ("extract", "read landing")  # the library path runs them in its worker process


class PeakMemory:
    """Samples the resident set size of a process (this one by default) and its children summed, every so many
    seconds, so each stage reports its own peak."""

    def __init__(self, root: psutil.Process | None = None, every: float = 0.02):
        self.root, self.every, self.peak_bytes = root, every, 0
        self._stop = threading.Event()
        threading.Thread(target=self._sample, daemon=True).start()

    def _sample(self):
        while not self._stop.wait(self.every):
            self.peak_bytes = max(self.peak_bytes, _rss_bytes(self.root))

    def reset(self) -> None:
        self.peak_bytes = _rss_bytes(self.root)

    def stop(self) -> None:
        self._stop.set()


def _rss_bytes(root: psutil.Process | None = None) -> int:
    """The resident memory of a process (this one by default) and its children, summed."""
    root, total = root or psutil.Process(), 0
    try:
        processes = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:  # the run just ended
        return 0
    for process in processes:
        try:
            total += process.memory_info().rss
        except psutil.NoSuchProcess:  # a child that just ended
            pass
    return total


@contextmanager
def stage(results: list, memory: PeakMemory, name: str):
    record = {"stage": name}
    memory.reset()
    started, cpu = time.perf_counter(), time.process_time()
    yield record
    record["seconds"], record["cpu_seconds"] = time.perf_counter() - started, time.process_time() - cpu
    record["peak_mb"] = memory.peak_bytes / 2**20
    results.append(record)


def measured_stages(memory: PeakMemory):
    """backfill.StageSeconds that also keep each stage's peak memory."""
    from hk_market import backfill

    class MeasuredStages(backfill.StageSeconds):
        def __init__(self):
            super().__init__()
            self.peak_mb = dict.fromkeys(self, 0.0)

        @contextmanager
        def timing(self, stage: str):
            memory.reset()
            with super().timing(stage):
                yield
            self.peak_mb[stage] = max(self.peak_mb[stage], memory.peak_bytes / 2**20)

    return MeasuredStages()


def library_path(first: dt.date, memory: PeakMemory) -> tuple[list[dict], dict]:
    """backfill.run() over the range, timed per stage; returns the stages, and the whole run with its CPU seconds
    in this process and in the extract worker."""
    from hk_market import backfill

    seconds = measured_stages(memory)
    cpu_before, children_before = _cpu_seconds(resource.RUSAGE_SELF), _cpu_seconds(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    backfill.run(first, LAST_DAY, refetch=True, run_id=RUN_ID, seconds=seconds)
    whole = {"seconds": time.perf_counter() - started,
             "main_cpu_seconds": _cpu_seconds(resource.RUSAGE_SELF) - cpu_before,
             "worker_cpu_seconds": _cpu_seconds(resource.RUSAGE_CHILDREN) - children_before}  # the worker has ended
    whole["cpu_seconds"] = whole["main_cpu_seconds"] + whole["worker_cpu_seconds"]
    # No worker process for one chunk: its thread ran while this process waited for it.
    worker_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024 or seconds.peak_mb["waiting for extract"]
    for name in WORKER_STAGES:
        seconds.peak_mb[name] = max(seconds.peak_mb[name], worker_mb)
    rows = {"waiting for extract": None}
    loaded = _loaded_rows()
    stages = [{"stage": name, "rows": rows.get(name, loaded) if value else None, "seconds": value,
               "cpu_seconds": seconds.cpu[name], "peak_mb": seconds.peak_mb[name]}
              for name, value in seconds.items()]  # a stage that did not run (read landing: refetched) has no rows
    return stages, whole | {"rows": loaded, "peak_mb": max(stage["peak_mb"] for stage in stages)}


def _cpu_seconds(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def _rows(table: str) -> int:
    from hk_market import warehouse

    with warehouse.connect() as con:
        return con.execute(f"select count(*) from {table}").fetchone()[0]


def _loaded_rows() -> int:
    """Rows the library path loaded (extracted, read, validated and loaded alike)."""
    from hk_market import warehouse

    with warehouse.connect() as con:
        query = "select sum(rows_loaded)::bigint from audit.runs where run_id = $run_id"
        return con.execute(query, {"run_id": RUN_ID}).fetchone()[0]


def rebuild_marts(first: dt.date, memory: PeakMemory) -> dict:
    from hk_market import calendar, pipeline

    results: list[dict] = []
    with stage(results, memory, "rebuild every mart, full history") as record:
        pipeline.build(calendar.sessions(first, LAST_DAY))
        record["rows"] = _rows("marts.security_daily")
    return results[0]


def copy_big_tables(memory: PeakMemory) -> dict:
    """The rebuild's floor: a plain copy of the two big tables it writes (create table ... as select *)."""
    from hk_market import warehouse

    results: list[dict] = []
    with warehouse.connect() as con:
        with stage(results, memory, "copy of the two big tables (the rebuild's floor)") as record:
            for table in BIG_TABLES:
                con.execute(f"create table {table}_copy as select * from {table}")
        record["rows"] = sum(con.execute(f"select count(*) from {table}_copy").fetchone()[0] for table in BIG_TABLES)
        for table in BIG_TABLES:
            con.execute(f"drop table {table}_copy")
    return record


def floor(first: dt.date, memory: PeakMemory, scratch: Path, repeats: int = FLOOR_REPEATS) -> dict:
    """The fastest of several bare loads, each into a new database: one load of a few seconds varies by a
    third on a shared machine, and the ratio would with it."""
    import duckdb

    from hk_market import calendar, landing

    files = [str(landing.path("prices", day)) for day in calendar.sessions(first, LAST_DAY)]
    results: list[dict] = []
    for repeat in range(repeats):
        with stage(results, memory, f"floor: bare DuckDB load of the prices, best of {repeats}") as record:
            con = duckdb.connect(str(scratch / f"floor{repeat}.duckdb"))
            con.execute("set enable_progress_bar = false")
            con.execute("create table prices as select * from read_parquet($files)", {"files": files})
            record["rows"] = con.execute("select count(*) from prices").fetchone()[0]
            con.close()
    return min(results, key=lambda record: record["seconds"])


def airflow_env(scratch: Path) -> dict[str, str]:
    """The environment of the Airflow runs, with its own Airflow home: everything they write goes to scratch
    (make exports the project's Airflow home, snapshot and reports paths, and the benchmark's invented market
    must not replace the operator's runs or files). Migrates that home's metadata database and adds the pool."""
    warehouse, airflow_home = scratch / "airflow" / "hk_market.duckdb", scratch / "airflow" / "airflow-home"
    env = dict(os.environ, HK_MARKET_WAREHOUSE=str(warehouse), HK_MARKET_LANDING=str(scratch / "airflow" / "landing"),
               HK_MARKET_SNAPSHOT=str(scratch / "airflow" / "hk_market_analyst.duckdb"),
               HK_MARKET_REPORTS=str(scratch / "airflow" / "reports"),
               AIRFLOW_CONN_DUCKDB_DEFAULT=json.dumps({"conn_type": "duckdb", "host": str(warehouse)}),
               AIRFLOW_HOME=str(airflow_home), AIRFLOW__CORE__DAGS_FOLDER=str(PROJECT / "dags"),
               AIRFLOW__CORE__LOAD_EXAMPLES="False", AIRFLOW__LOGGING__LOGGING_LEVEL="WARNING")
    airflow = str(Path(sys.executable).with_name("airflow"))
    for command in (["db", "migrate"], ["pools", "set", "duckdb_writer", "1", "One DuckDB writer at a time"]):
        subprocess.run([airflow, *command], env=env, capture_output=True, check=True)
    return env


def airflow_path(first: dt.date, env: dict[str, str]) -> dict:
    """The bulk backfill DAG over the range under `airflow dags test`."""
    conf = json.dumps({"start": first.isoformat(), "end": LAST_DAY.isoformat()})
    command = [str(Path(sys.executable).with_name("airflow")), "dags", "test", "hk_market_backfill", "-c", conf]
    return measured_run("Airflow: hk_market_backfill under airflow dags test", command, env)


def daily_run(env: dict[str, str]) -> dict:
    """One full-market day through the daily DAG (what `make run` does: dag.test(), as `airflow dags test`), on
    the history the Airflow path loaded: the last day again, extracted, validated, loaded, its marts rebuilt and
    the snapshot of every day published."""
    command = [sys.executable, "-m", "hk_market.airflow_glue.run_days", "--from", str(LAST_DAY), "--to", str(LAST_DAY)]
    return measured_run(f"Airflow: hk_market_daily for {LAST_DAY}, full market", command, env)


def measured_run(name: str, command: list[str], env: dict[str, str]) -> dict:
    """Run the command; its seconds and the peak resident memory of its process tree."""
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    memory = PeakMemory(psutil.Process(process.pid), every=0.1)  # a walk of Airflow's tree costs a millisecond
    try:
        printed, _ = process.communicate()
    except BaseException:  # Ctrl-C: not leaving Airflow running on scratch that is about to be removed
        process.kill()
        raise
    finally:
        memory.stop()
    seconds = time.perf_counter() - started
    if process.returncode != 0:
        raise SystemExit(f"{name} failed:\n{printed[-5000:]}")
    return {"stage": name, "seconds": seconds, "peak_mb": memory.peak_bytes / 2**20, "rows": None}


def print_table(rows: list[dict]) -> None:
    print(f"\n{'stage':<62} {'rows':>11} {'wall s':>8} {'CPU s':>8} {'rows/s':>12} {'peak MB':>8}")
    for row in rows:
        count = f"{row['rows']:,}" if row.get("rows") is not None else ""
        rate = f"{row['rows'] / row['seconds']:,.0f}" if row.get("rows") else ""
        cpu = f"{row['cpu_seconds']:.2f}" if row.get("cpu_seconds") is not None else ""
        print(f"{row['stage']:<62} {count:>11} {row['seconds']:>8.2f} {cpu:>8} {rate:>12} {row['peak_mb']:>8.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--skip-airflow", action="store_true")
    parser.add_argument("--warehouses", default=",".join(WAREHOUSES),
                        help=f"comma-separated, of {', '.join(WAREHOUSES)} (default: both, in that order)")
    parser.add_argument("--keep-scratch", action="store_true", help="keep the warehouses and landing zones made")
    args = parser.parse_args()
    warehouses = [name.strip() for name in args.warehouses.split(",") if name.strip()]
    if not warehouses or set(warehouses) - set(WAREHOUSES):
        parser.error(f"--warehouses takes {', '.join(WAREHOUSES)}, not {args.warehouses!r}")
    first = LAST_DAY.replace(year=LAST_DAY.year - args.years) + dt.timedelta(days=1)
    scratch = Path(tempfile.mkdtemp(prefix="hk-market-bench-"))
    os.environ.update(HK_MARKET_SAMPLE_UNIVERSE="full", HK_MARKET_SOURCE="sample",
                      HK_MARKET_LANDING=str(scratch / "library" / "landing"))
    print(f"full sample market, {first} to {LAST_DAY}, scratch {scratch}"
          f"{'' if args.keep_scratch else ' (removed at the end of a run that succeeds; --keep-scratch keeps it)'}")
    run(first, scratch, args.skip_airflow, warehouses)  # a failed run leaves its scratch to look into
    if not args.keep_scratch:
        shutil.rmtree(scratch, ignore_errors=True)  # gigabytes at 10 years


WAREHOUSES = ("file", "ducklake")


@contextmanager
def warehouse_of(kind: str, scratch: Path):
    """HK_MARKET_WAREHOUSE set to a new warehouse of the kind in scratch; for a DuckLake, a Postgres server of
    its own for the catalog (stopped by pid at the end, even on failure), whose CPU seconds are yielded."""
    if kind == "file":
        os.environ["HK_MARKET_WAREHOUSE"] = str(scratch / "library" / "hk_market.duckdb")
        yield lambda: None
        return
    from hk_market import settings
    from tests.services import postgres

    directory = Path(tempfile.mkdtemp(prefix="hk-market-bench-postgres-"))  # postgres must read it: not scratch
    try:
        server = postgres.start(directory)
        os.environ["HK_MARKET_WAREHOUSE"] = settings.LAKE_PREFIX + server.create_database("hk_lake")
        os.environ["HK_MARKET_LAKE_DATA"] = str(scratch / "library" / "lake")
        yield lambda: _tree_cpu_seconds(server.pid)
    finally:
        postgres.stop(directory)
        shutil.rmtree(directory, ignore_errors=True)


def _tree_cpu_seconds(pid: int) -> float:
    """CPU seconds of a process, its live children and the children it has reaped (Postgres's backends)."""
    root = psutil.Process(pid)
    times = root.cpu_times()
    total = times.user + times.system + times.children_user + times.children_system
    for child in root.children(recursive=True):
        try:
            child_times = child.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += child_times.user + child_times.system
    return total


def run(first: dt.date, scratch: Path, skip_airflow: bool, warehouses: list[str]) -> None:
    from hk_market import expectations, registry

    memory, rows, wholes, rebuilds, catalog_cpu = PeakMemory(), [], {}, {}, {}
    # Great Expectations' imports, once: each warehouse's path measured alike
    expectations.prepare_suites(registry.NAMES)
    for kind in warehouses:
        with warehouse_of(kind, scratch) as server_cpu:
            before = server_cpu()
            library, whole = library_path(first, memory)
            rebuild = rebuild_marts(first, memory)
            copied = copy_big_tables(memory)
            if before is not None:
                catalog_cpu[kind] = server_cpu() - before
        wholes[kind], rebuilds[kind] = whole, (rebuild, copied)
        rows += [{**row, "stage": f"{kind}: {row['stage']}"} for row in
                 [*library, {"stage": "library path, whole pipeline", **whole}, rebuild, copied]]
    os.environ["HK_MARKET_WAREHOUSE"] = str(scratch / "library" / "hk_market.duckdb")
    bare = floor(first, memory, scratch)
    rows.append(bare)
    if not skip_airflow:
        memory.stop()  # measured_run samples the Airflow runs' own processes
        env = airflow_env(scratch)
        rows += [airflow_path(first, env), daily_run(env)]
    print_table(rows)
    for kind, whole in wholes.items():
        print(f"library path / floor, {kind}: {whole['seconds'] / bare['seconds']:.1f}x wall, "
              f"{whole['cpu_seconds'] / bare['cpu_seconds']:.1f}x CPU "
              f"(CPU {whole['main_cpu_seconds']:.1f} s in this process + {whole['worker_cpu_seconds']:.1f} s in the "
              f"extract worker{_catalog(catalog_cpu.get(kind))}; {os.cpu_count()} cores)")
    for kind, (rebuild, copied) in rebuilds.items():
        print(f"rebuild / copy of the two big tables, {kind}: {rebuild['cpu_seconds'] / copied['cpu_seconds']:.1f}x "
              "CPU (target: at most 2x)")
    if len(wholes) == 2:
        file, lake = wholes["file"], wholes["ducklake"]
        print(f"library path, ducklake / file: {lake['seconds'] / file['seconds']:.2f}x wall, "
              f"{lake['cpu_seconds'] / file['cpu_seconds']:.2f}x CPU (target: at most 1.5x)")
    print(f"floor: {bare['seconds']:.2f} s wall, {bare['cpu_seconds']:.2f} s CPU "
          "(targets: library path at most 10x the floor's CPU, peak < 2048 MB)")


def _catalog(seconds: float | None) -> str:
    return "" if seconds is None else f", + {seconds:.1f} s in the Postgres catalog server"


if __name__ == "__main__":
    main()
