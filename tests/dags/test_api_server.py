"""What an operator sees through Airflow's REST API: the project's DAGs, parsed without errors, and the pool.

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
from pathlib import Path

import pytest
import requests

STARTUP_SECONDS = 60
REQUEST_SECONDS = 10


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


def test_the_daily_dag_is_listed_with_its_owner_and_tags(api):
    base_url, session = api
    response = session.get(f"{base_url}/api/v2/dags", params={"dag_id_pattern": "hk_market"}, timeout=REQUEST_SECONDS)
    response.raise_for_status()
    dags = {dag["dag_id"]: dag for dag in response.json()["dags"]}
    daily = dags["hk_market_daily"]
    assert daily["owners"] == ["hk-market"]
    assert {"hk-market", "daily"} <= {tag["name"] for tag in daily["tags"]}


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
