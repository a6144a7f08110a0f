"""The Airflow API server with the project's plugin, and a headless Chromium to look at it."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from hk_market import snapshot

# The DAG fixtures: the plugin's page shows the snapshot of a warehouse that the real DAG built.
from ..dags.conftest import PROJECT, airflow_db, daily_dag, run_daily, wrap_warehouse  # noqa: F401
from ..dags.test_api_server import free_port, stop, wait_until_serving

ANALYST, PASSWORD = "analyst", "analyst-password"
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="session")
def chromium() -> str:
    """Debian's chromium, installed with apt-get when missing; the test is skipped only if that fails."""
    if path := shutil.which("chromium"):
        return path
    env = os.environ | {"DEBIAN_FRONTEND": "noninteractive"}
    try:
        for command in (["apt-get", "update", "-q"], ["apt-get", "install", "-y", "-q", "chromium"]):
            subprocess.run(command, check=True, capture_output=True, timeout=900, env=env)
    except (OSError, subprocess.SubprocessError) as error:
        pytest.skip(f"needs a headless Chromium, and `apt-get install chromium` failed: {error}")
    return shutil.which("chromium") or pytest.skip("`apt-get install chromium` left no chromium on PATH")


@pytest.fixture(scope="module")
def api_server(airflow_db, wrap_warehouse, tmp_path_factory) -> str:  # noqa: F811
    """`airflow api-server` on a free localhost port, its HK Market page reading the wrap warehouse's snapshot."""
    home = tmp_path_factory.mktemp("api-server")
    passwords = home / "passwords.json"
    passwords.write_text(f'{{"{ANALYST}": "{PASSWORD}"}}')
    env = os.environ | {
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(PROJECT / "plugins"),
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{ANALYST}:viewer",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords),
        "HK_MARKET_SNAPSHOT": str(snapshot.publish(wrap_warehouse, home / "hk_market_analyst.duckdb")),
    }
    port, log = free_port(), home / "api-server.log"
    with log.open("w") as output:
        command = [str(Path(sys.executable).with_name("airflow")), "api-server", "-H", "127.0.0.1", "-p", str(port),
                   "-w", "1"]
        server = subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        base_url = f"http://127.0.0.1:{port}"
        wait_until_serving(server, base_url, log)
        yield base_url
    finally:
        stop(server)
