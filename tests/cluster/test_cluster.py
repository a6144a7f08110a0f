"""`make cluster` for real: a Celery cluster with its warehouse on DuckLake, driven through the REST API.

`cluster/cluster.py start` brings up, in a temporary root, Postgres (Airflow's metadata and the DuckLake
catalog), Redis, the scheduler, dag-processor, triggerer, api-server and two Celery workers. Through the
REST API (a JWT from /auth/token with the simple auth manager's admin password) the test unpauses the DAGs
and triggers `hk_market_daily` for the sessions 2024-11-13 and 2024-11-14 (logical dates 17:30 Hong Kong)
and `hk_market_backfill` for January 2025 in chunks of 8 sessions, all at once, then checks:

- every run succeeds;
- the task instances (REST API) were run by both workers (their `hostname`: the worker's name);
- no two tasks of the one-slot pool `duckdb_writer` ran at the same time;
- every mart on the DuckLake equals, row for row, the mart a DuckDB file gets from the library for the same
  days (the pipeline's steps for the two sessions, hk_market.backfill.run for the month);
- `cluster.py stop` leaves no process of the cluster and none of its ports.

The month is January 2025 so the days do not depend on the order the runs commit in: no mart of a 2024
session reads a 2025 one (the year to date starts again), and the daily runs load their look-back session
2024-11-12 whichever runs first. `[scheduler] use_job_schedule = False` keeps the unpaused daily DAG from
also running for today's cron tick.

The cluster is stopped by its pid files when the module ends, even when a test fails (and at exit).
Measured on two cores, beside other people's test runs: the cluster up in 66-68 s, the three runs finished
208-306 s after the trigger, the module 6-7.5 minutes. It runs in `make test`; `make test-cluster` runs it
alone.
"""

import atexit
import datetime as dt
import itertools
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
import requests

from hk_market.airflow_glue.dag_defaults import MART_TABLES, WRITER_POOL

PROJECT = Path(__file__).resolve().parents[2]
CLUSTER = [sys.executable, str(PROJECT / "cluster" / "cluster.py")]
HK_TZ = ZoneInfo("Asia/Hong_Kong")
DAILY, BACKFILL = "hk_market_daily", "hk_market_backfill"
DAILY_SESSIONS = (dt.date(2024, 11, 13), dt.date(2024, 11, 14))
MONTH = ("2025-01-02", "2025-01-31")
CHUNK_SESSIONS = 8  # January 2025's 21 sessions in three chunks: three mapped load tasks
START_SECONDS = 600
DAG_PARSE_SECONDS = 180
RUNS_SECONDS = 1500
REQUEST_SECONDS = 30
POLL_SECONDS = 5

pytestmark = pytest.mark.cluster


@dataclass
class Cluster:
    root: Path
    base_url: str
    password: str
    env: dict[str, str]  # the cluster's environment (ROOT/cluster.env)
    session: requests.Session | None = None

    def api(self, method: str, path: str, **kwargs) -> dict:
        response = self.session.request(method, f"{self.base_url}/api/v2/{path}", timeout=REQUEST_SECONDS, **kwargs)
        assert response.ok, f"{method} {path}: {response.status_code} {response.text[:2000]}"
        return response.json()

    def log_tails(self, names=("scheduler", "worker1", "worker2")) -> str:
        tails = []
        for name in names:
            path = self.root / "logs" / f"{name}.log"
            tails.append(f"--- {path} ---\n{path.read_text(errors='replace')[-3000:] if path.exists() else ''}")
        return "\n".join(tails)


def stop_cluster(root: Path) -> None:
    subprocess.run([*CLUSTER, "stop", "--root", str(root)], capture_output=True, timeout=600)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def read_env_file(path: Path) -> dict[str, str]:
    return {name: json.loads(value) for name, value in
            (line.split("=", 1) for line in path.read_text().splitlines() if line)}


@pytest.fixture(scope="module")
def cluster() -> Cluster:
    # Not pytest's tmp_path: its folders are private to root, and Postgres runs as the `postgres` user.
    root = Path(tempfile.mkdtemp(prefix="hk-market-cluster-"))
    root.chmod(0o755)
    atexit.register(stop_cluster, root)
    port = free_port()
    env = {name: value for name, value in os.environ.items() if not name.startswith(("AIRFLOW", "HK_MARKET_"))}
    env["AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE"] = "False"  # the triggered runs only, none for today's tick
    try:
        started = time.monotonic()
        result = subprocess.run([*CLUSTER, "start", "--root", str(root), "--airflow-port", str(port)], env=env,
                                capture_output=True, text=True, timeout=START_SECONDS)
        assert result.returncode == 0, f"cluster start failed:\n{result.stdout[-3000:]}\n{result.stderr[-5000:]}"
        print(f"\ncluster started in {time.monotonic() - started:.0f} s")
        banner = re.search(r"^Airflow UI: http://localhost:(\d+)   login: admin / (\S+)$", result.stdout, re.M)
        assert banner and int(banner[1]) == port, result.stdout
        running = Cluster(root=root, base_url=f"http://127.0.0.1:{port}", password=banner[2],
                          env=read_env_file(root / "cluster.env"))
        running.session = requests.Session()
        token = running.session.post(f"{running.base_url}/auth/token", timeout=REQUEST_SECONDS,
                                     json={"username": "admin", "password": running.password})
        token.raise_for_status()
        running.session.headers["Authorization"] = f"Bearer {token.json()['access_token']}"
        yield running
    finally:
        stop_cluster(root)
        shutil.rmtree(root, ignore_errors=True)  # failures carry the logs' tails already


def wait_until(what: str, probe, seconds: float, cluster: Cluster):
    deadline = time.monotonic() + seconds
    while True:
        result = probe()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {seconds} s waiting for {what}\n{cluster.log_tails()}")
        time.sleep(POLL_SECONDS)


def dag_parsed(cluster: Cluster, dag_id: str) -> bool:
    response = cluster.session.get(f"{cluster.base_url}/api/v2/dags/{dag_id}", timeout=REQUEST_SECONDS)
    return response.ok


@pytest.fixture(scope="module")
def runs(cluster) -> dict[str, dict]:
    """The two daily runs and the month's backfill, triggered together and waited for: run id -> its run."""
    for dag_id in (DAILY, BACKFILL):
        wait_until(f"{dag_id} to be parsed", lambda dag_id=dag_id: dag_parsed(cluster, dag_id), DAG_PARSE_SECONDS,
                   cluster)
        cluster.api("PATCH", f"dags/{dag_id}", json={"is_paused": False})
    triggered = time.monotonic()
    requested = [(DAILY, {"dag_run_id": f"cluster_test_{day}", "conf": {},
                          "logical_date": dt.datetime.combine(day, dt.time(17, 30), HK_TZ).isoformat()})
                 for day in DAILY_SESSIONS]
    requested.append((BACKFILL, {"dag_run_id": "cluster_test_month", "logical_date": None,
                                 "conf": {"start": MONTH[0], "end": MONTH[1], "chunk_sessions": CHUNK_SESSIONS}}))
    ids = [(dag_id, cluster.api("POST", f"dags/{dag_id}/dagRuns", json=body)["dag_run_id"])
           for dag_id, body in requested]

    def finished() -> dict | None:
        states = {run_id: cluster.api("GET", f"dags/{dag_id}/dagRuns/{run_id}") for dag_id, run_id in ids}
        return states if all(run["state"] in ("success", "failed") for run in states.values()) else None

    done = wait_until("the runs to finish", finished, RUNS_SECONDS, cluster)
    print(f"\nruns finished {time.monotonic() - triggered:.0f} s after the trigger; from queued to its end, "
          + ", ".join(f"{run_id} {seconds_between(run['queued_at'], run['end_date']):.0f} s"
                      for run_id, run in done.items()))
    return done


def seconds_between(start: str, end: str | None) -> float:
    return (dt.datetime.fromisoformat(end) - dt.datetime.fromisoformat(start)).total_seconds() if end else float("nan")


def task_instances(cluster: Cluster, runs: dict[str, dict]) -> list[dict]:
    return [instance for run_id, run in runs.items()
            for instance in cluster.api("GET", f"dags/{run['dag_id']}/dagRuns/{run_id}/taskInstances",
                                        params={"limit": 1000})["task_instances"]]


def test_the_daily_runs_and_the_backfill_all_succeed(cluster, runs):
    failed = {run_id: [(ti["task_id"], ti["map_index"], ti["state"]) for ti in task_instances(cluster, {run_id: run})
                       if ti["state"] != "success"]
              for run_id, run in runs.items() if run["state"] != "success"}
    assert not failed, f"runs not successful: {failed}\n{cluster.log_tails()}"


def test_both_workers_ran_tasks(cluster, runs):
    host = socket.gethostname()
    ran = [ti["hostname"] for ti in task_instances(cluster, runs) if ti["state"] == "success"]
    assert set(ran) == {f"worker1@{host}", f"worker2@{host}"}, pd.Series(ran).value_counts()


def test_no_two_writer_tasks_overlapped(cluster, runs):
    writers = sorted((dt.datetime.fromisoformat(ti["start_date"]), dt.datetime.fromisoformat(ti["end_date"]),
                      f"{ti['dag_run_id']}:{ti['task_id']}[{ti['map_index']}]")
                     for ti in task_instances(cluster, runs) if ti["pool"] == WRITER_POOL and ti["start_date"])
    # Eight writer tasks per daily run (plan, four validates, load with the marts, refresh_turnover, publish);
    # the backfill's three chunk loads (each with its marts) and publish.
    assert len(writers) == 2 * 8 + 3 + 1, writers
    overlaps = [(earlier[2], later[2]) for earlier, later in itertools.pairwise(writers) if later[0] < earlier[1]]
    assert not overlaps, overlaps


def test_the_marts_on_ducklake_equal_a_file_warehouse_built_for_the_same_days(cluster, runs, tmp_path, monkeypatch):
    lake = marts_of(cluster.env | {"HK_MARKET_WAREHOUSE": cluster.env["HK_MARKET_WAREHOUSE"]}, monkeypatch)
    monkeypatch.setenv("HK_MARKET_WAREHOUSE", str(tmp_path / "hk_market.duckdb"))
    monkeypatch.setenv("HK_MARKET_LANDING", str(tmp_path / "landing"))
    monkeypatch.setenv("HK_MARKET_REPORTS", str(tmp_path / "reports"))
    monkeypatch.delenv("HK_MARKET_LAKE_DATA", raising=False)
    from hk_market import backfill

    for day in DAILY_SESSIONS:
        run_day_with_the_library(day)
    backfill.run(*MONTH, run_id="file_month")
    file = marts_of({}, monkeypatch)
    assert {table: len(rows) for table, rows in lake.items()} == {table: len(rows) for table, rows in file.items()}
    assert set(lake["marts.security_daily"]["trade_date"].astype(str)) >= {str(day) for day in DAILY_SESSIONS}
    for table, rows in file.items():
        pd.testing.assert_frame_equal(lake[table], rows, check_exact=True, obj=f"{table} (DuckLake, then file)")


def run_day_with_the_library(day: dt.date) -> None:
    """What hk_market_daily's tasks do for a day, called in order here."""
    from hk_market import pipeline
    from hk_market.registry import NAMES

    sessions = pipeline.plan_window(day)
    for dataset in NAMES:
        pipeline.extract(dataset, sessions)
    for dataset in NAMES:
        pipeline.validate(dataset, sessions, f"file_{day}", data_docs=False)
    pipeline.load(sessions, f"file_{day}")
    refresh = pipeline.estimated_turnover(sessions[0])
    pipeline.refresh_turnover(refresh)
    pipeline.build(refresh + sessions)


def marts_of(env: dict[str, str], monkeypatch) -> dict[str, pd.DataFrame]:
    """Every mart's rows, sorted by every column, from the warehouse the environment names."""
    from hk_market import warehouse

    for name in ("HK_MARKET_WAREHOUSE", "HK_MARKET_LAKE_DATA", "PGPASSFILE"):
        if name in env:
            monkeypatch.setenv(name, env[name])
    with warehouse.connect(read_only=True) as con:
        return {f"marts.{table}": con.execute(f"select * from marts.{table} order by all").df()
                for table in MART_TABLES}


def test_stop_leaves_no_process_and_no_port(cluster, runs):
    pids = {path.stem: int(path.read_text().split()[0]) for path in (cluster.root / "pids").glob("*.pid")}
    assert set(pids) == {"postgres", "redis", "api-server", "scheduler", "dag-processor", "triggerer", "worker1",
                         "worker2"}
    ports = json.loads((cluster.root / "ports.json").read_text())
    stop = subprocess.run([*CLUSTER, "stop", "--root", str(cluster.root)], capture_output=True, text=True,
                          timeout=600)
    assert stop.returncode == 0, stop.stderr
    alive = {name: pid for name, pid in pids.items() if Path(f"/proc/{pid}").exists() or group_alive(pid)}
    assert not alive, alive
    assert not list((cluster.root / "pids").glob("*.pid"))
    busy = {name: port for name, port in ports.items() if port_in_use(port)}
    assert not busy, busy


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False


def port_in_use(port: int) -> bool:
    """Whether anything still accepts a connection on the loopback port."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            return True
    except OSError:  # refused: nothing listens
        return False
