"""`make airflow` as an operator runs it: the UI comes up with a task slot count that fits this machine, and
SIGTERM to make, or Ctrl-C (SIGINT to its process group, as a terminal sends it), stops every process it
started and frees the port.

Each start runs `make airflow` in a session of its own on a free loopback port and a temporary
AIRFLOW_HOME; whatever a test leaves running is killed by pid in its finally.
"""

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest
import requests

from hk_market.airflow_glue.airflow_standalone import parallelism

PROJECT = Path(__file__).resolve().parents[1]
STARTUP_SECONDS = 240  # the first start also migrates a fresh metadata database
STOP_SECONDS = 45


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def port_is_free(port: int) -> bool:
    """Nothing listens on it, and a new server could bind it (as servers do, past our closed connections'
    TIME_WAIT)."""
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", port)) == 0:
            return False
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def processes() -> dict[int, tuple[int, str]]:
    """Every live process: pid -> (parent pid, start time in clock ticks, so a reused pid is not mistaken)."""
    table = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z":
            table[int(stat.parent.name)] = (int(fields[1]), fields[19])
    return table


def descendants(root: int) -> dict[int, str]:
    """The live processes below root (root included): pid -> start time."""
    table = processes()
    found, frontier = {}, [root]
    while frontier:
        pid = frontier.pop()
        if pid in table:
            found[pid] = table[pid][1]
            frontier += [child for child, (parent, _) in table.items() if parent == pid]
    return found


def still_running(started: dict[int, str]) -> list[str]:
    table = processes()
    return [_cmdline(pid) for pid, start in started.items() if table.get(pid, (0, None))[1] == start]


def _cmdline(pid: int) -> str:
    try:
        return f"{pid}: " + Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()[:120]
    except OSError:
        return f"{pid}: (gone)"


@pytest.fixture(scope="module")
def airflow_home(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("make-airflow-home")


def start_make_airflow(airflow_home: Path, port: int, log_file: Path) -> subprocess.Popen:
    warehouse = airflow_home / "warehouse"
    env = {**os.environ, "AIRFLOW_HOME": str(airflow_home), "AIRFLOW_PORT": str(port),
           "HK_MARKET_WAREHOUSE": str(warehouse / "hk_market.duckdb"), "HK_MARKET_LANDING": str(warehouse / "landing"),
           "HK_MARKET_SNAPSHOT": str(warehouse / "hk_market_analyst.duckdb"),
           "HK_MARKET_REPORTS": str(warehouse / "reports")}
    env = {name: value for name, value in env.items() if not name.startswith(("AIRFLOW__", "AIRFLOW_CONN_"))}
    with log_file.open("w") as log:
        return subprocess.Popen(["make", "--no-print-directory", "airflow"], cwd=PROJECT, env=env, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)


def wait_until_healthy(make: subprocess.Popen, port: int, log_file: Path) -> None:
    """Until the api-server says every component is healthy, and the scheduler has its executor's workers."""
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if make.poll() is not None:
            pytest.fail(f"make airflow exited with {make.returncode}:\n{log_file.read_text()[-3000:]}")
        try:
            health = requests.get(f"http://127.0.0.1:{port}/api/v2/monitor/health", timeout=2)
            statuses = {name: part.get("status") for name, part in health.json().items()} if health.ok else {}
            if statuses and set(statuses.values()) == {"healthy"} and local_executor_workers(make.pid):
                return
        except (requests.ConnectionError, requests.Timeout, ValueError):
            pass
        time.sleep(1)
    pytest.fail(f"make airflow not healthy after {STARTUP_SECONDS} s:\n{log_file.read_text()[-3000:]}")


def local_executor_workers(root: int) -> list[str]:
    return [line for line in map(_cmdline, descendants(root)) if "LocalExecutor" in line]


def kill_all(started: dict[int, str]) -> None:
    for line in still_running(started):
        try:
            os.kill(int(line.split(":")[0]), signal.SIGKILL)
        except ProcessLookupError:
            pass


@pytest.mark.parametrize("how", ["SIGTERM to make", "Ctrl-C"])
def test_make_airflow_stops_every_process_it_started_and_frees_its_port(airflow_home, tmp_path, how):
    port = free_port()
    log_file = tmp_path / "make-airflow.log"
    make = start_make_airflow(airflow_home, port, log_file)
    started: dict[int, str] = {}
    try:
        wait_until_healthy(make, port, log_file)
        started = descendants(make.pid)
        assert len(local_executor_workers(make.pid)) == parallelism() == 2 * len(os.sched_getaffinity(0))
        assert f"{parallelism()} task slots" in log_file.read_text()

        stopping = time.monotonic()
        if how == "Ctrl-C":
            os.killpg(make.pid, signal.SIGINT)  # a terminal sends it to the foreground process group
        else:
            make.send_signal(signal.SIGTERM)
        make.wait(timeout=STOP_SECONDS)
        while still_running(started) and time.monotonic() - stopping < STOP_SECONDS:
            time.sleep(0.5)
        seconds = time.monotonic() - stopping
        assert still_running(started) == [], f"left running {seconds:.0f} s after {how}"
        assert port_is_free(port)
        print(f"{how}: {len(started)} processes stopped in {seconds:.1f} s")
    finally:
        leftover = {**descendants(make.pid), **started}
        make.kill()
        make.wait()
        kill_all(leftover)
