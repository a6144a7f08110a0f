"""What an operator sees through Airflow's REST API: the project's DAGs, parsed without errors, the pool, and a
manual trigger of the daily DAG.

Starts a real `airflow api-server` on a free loopback port against the test AIRFLOW_HOME (DAGs put in
the metadata database by `airflow dags reserialize`), logs in through the simple auth manager, and
always stops the server.
"""

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests

STARTUP_SECONDS = 60
REQUEST_SECONDS = 10
TRIGGER_DATE = "2024-06-28T09:30:00Z"  # 17:30 Hong Kong time, the daily slot of a day no other test runs
TRIGGER_RUN_ID = "api_server_test__2024-06-28"


@pytest.fixture(scope="module")
def api(airflow_db: Path, tmp_path_factory):
    """A logged-in session on a running API server: (base URL, requests.Session)."""
    airflow_bin = str(Path(sys.executable).with_name("airflow"))
    subprocess.run([airflow_bin, "dags", "reserialize"], check=True, capture_output=True, env=os.environ,
                   timeout=120)
    password = secrets.token_urlsafe(12)
    (airflow_db / "simple_auth_manager_passwords.json.generated").write_text(json.dumps({"admin": password}))
    port = free_port()
    log_file = tmp_path_factory.mktemp("api-server") / "api-server.log"
    with log_file.open("w") as log:
        server = subprocess.Popen(
            [airflow_bin, "api-server", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"],
            stdout=log, stderr=subprocess.STDOUT, env=os.environ, start_new_session=True)
    try:
        base_url = f"http://127.0.0.1:{port}"
        wait_until_serving(server, base_url, log_file)
        session = requests.Session()
        login = session.post(f"{base_url}/auth/token", json={"username": "admin", "password": password},
                             timeout=REQUEST_SECONDS)
        login.raise_for_status()
        session.headers["Authorization"] = f"Bearer {login.json()['access_token']}"
        yield base_url, session
    finally:
        stop(server)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_serving(server: subprocess.Popen, base_url: str, log_file: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"api-server exited with {server.returncode}:\n{log_file.read_text()[-3000:]}")
        try:
            if requests.get(f"{base_url}/api/v2/version", timeout=2).ok:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.5)
    pytest.fail(f"api-server not serving after {STARTUP_SECONDS} s:\n{log_file.read_text()[-3000:]}")


def stop(server: subprocess.Popen) -> None:
    """Stop the server and its workers (its own process group): politely, then not."""
    for sig, grace in ((signal.SIGTERM, 15), (signal.SIGKILL, 5)):
        try:
            os.killpg(server.pid, sig)
        except ProcessLookupError:
            return
        try:
            server.wait(timeout=grace)
            return
        except subprocess.TimeoutExpired:
            continue


@pytest.mark.parametrize(("dag_id", "tag"), [("hk_market_daily", "daily"), ("hk_market_backfill", "backfill"),
                                           ("hk_market_reference", "reference")])
def test_each_dag_is_listed_with_its_owner_and_tags(api, dag_id, tag):
    base_url, session = api
    response = session.get(f"{base_url}/api/v2/dags", params={"dag_id_pattern": "hk_market"}, timeout=REQUEST_SECONDS)
    response.raise_for_status()
    dags = {dag["dag_id"]: dag for dag in response.json()["dags"]}
    assert dag_id in dags, sorted(dags)
    assert dags[dag_id]["owners"] == ["hk-market"]
    assert {"hk-market", tag} <= {label["name"] for label in dags[dag_id]["tags"]}


def test_no_dag_file_has_import_errors(api):
    base_url, session = api
    response = session.get(f"{base_url}/api/v2/importErrors", timeout=REQUEST_SECONDS)
    response.raise_for_status()
    assert response.json()["total_entries"] == 0, response.json()


def test_the_duckdb_writer_pool_has_one_slot(api):
    base_url, session = api
    response = session.get(f"{base_url}/api/v2/pools/duckdb_writer", timeout=REQUEST_SECONDS)
    response.raise_for_status()
    assert response.json()["slots"] == 1


def test_the_api_refuses_a_request_without_a_token(api):
    base_url, _ = api
    assert requests.get(f"{base_url}/api/v2/dags", timeout=REQUEST_SECONDS).status_code in (401, 403)


def test_the_daily_dag_can_be_unpaused_and_triggered_with_an_empty_conf(api):
    """As from the UI: unpause, trigger for 17:30 HKT; with no scheduler the run stays queued. Leaves no trace."""
    base_url, session = api
    dag_url = f"{base_url}/api/v2/dags/hk_market_daily"
    was_paused = session.get(dag_url, timeout=REQUEST_SECONDS).json()["is_paused"]
    try:
        unpause = session.patch(dag_url, json={"is_paused": False}, timeout=REQUEST_SECONDS)
        unpause.raise_for_status()
        assert unpause.json()["is_paused"] is False
        trigger = session.post(f"{dag_url}/dagRuns", timeout=REQUEST_SECONDS,
                               json={"dag_run_id": TRIGGER_RUN_ID, "logical_date": TRIGGER_DATE, "conf": {}})
        assert trigger.status_code in (200, 201), trigger.text
        response = session.get(f"{dag_url}/dagRuns/{TRIGGER_RUN_ID}", timeout=REQUEST_SECONDS)
        response.raise_for_status()
        run = response.json()
        assert (run["state"], run["run_type"], run["conf"]) == ("queued", "manual", {})
        assert datetime.fromisoformat(run["logical_date"]) == datetime(2024, 6, 28, 9, 30, tzinfo=UTC)
    finally:
        session.delete(f"{dag_url}/dagRuns/{TRIGGER_RUN_ID}", timeout=REQUEST_SECONDS)
        session.patch(dag_url, json={"is_paused": was_paused}, timeout=REQUEST_SECONDS).raise_for_status()

