"""docker-compose.yaml, the Dockerfile and .env.example hold together (no Docker engine needed).

The compose file is checked against the Compose Specification's schema and for what `docker compose
up` would only find out later: missing host paths, misspelt Airflow settings, variables .env lacks,
an image that installs other pins than CI.
"""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

from hk_market.dag_defaults import WRITER_POOL
from hk_market.settings import PROJECT_ROOT

COMPOSE_FILE = PROJECT_ROOT / "docker-compose.yaml"
SCHEMA = PROJECT_ROOT / "tests" / "fixtures" / "compose" / "compose-spec.json"
# ${NAME}, ${NAME:-default}, ${NAME:?error}; `$${NAME}` is escaped for the container's shell.
INTERPOLATED = re.compile(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)")
AIRFLOW_SETTING = re.compile(r"AIRFLOW__([A-Z0-9_]+?)__([A-Z0-9_]+)")


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text())


def service_volumes(compose: dict) -> list[tuple[str, str]]:
    """(service, host source) of every volume a service mounts."""
    return [(name, mount.split(":")[0] if isinstance(mount, str) else mount["source"])
            for name, service in compose["services"].items() for mount in service.get("volumes", [])]


def environment(compose: dict) -> dict[str, str]:
    """The environment every Airflow service shares."""
    return compose["x-airflow-common"]["environment"]


def env_example() -> dict[str, str]:
    lines = (PROJECT_ROOT / ".env.example").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if line.strip() and not line.startswith("#"))


def test_the_compose_file_follows_the_compose_specification(compose):
    schema = json.loads(SCHEMA.read_text())
    jsonschema.validators.validator_for(schema)(schema).validate(compose)


def test_it_runs_every_airflow_component_on_celery(compose):
    assert {"postgres", "redis", "airflow-apiserver", "airflow-scheduler", "airflow-dag-processor",
            "airflow-triggerer", "airflow-worker", "airflow-init"} <= set(compose["services"])
    assert environment(compose)["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    assert environment(compose)["AIRFLOW__CORE__LOAD_EXAMPLES"] == "false"


def test_workers_scale_because_nothing_pins_them_to_one_container(compose):
    worker = compose["services"]["airflow-worker"]
    assert "container_name" not in worker and "ports" not in worker


def test_every_host_path_it_mounts_is_in_the_repository_or_a_named_volume(compose):
    for service, source in service_volumes(compose):
        if source.startswith((".", "/")):
            assert (PROJECT_ROOT / source).exists(), f"{service} mounts missing {source}"
        else:
            assert source in compose["volumes"], f"{service} mounts undeclared volume {source}"


def test_it_mounts_the_project_code_and_a_shared_warehouse(compose):
    mounts = {mount.split(":")[1]: mount.split(":")[0] for mount in compose["x-airflow-common"]["volumes"]}
    assert {mounts[f"/opt/airflow/{folder}"] for folder in ("dags", "include", "plugins")} == {
        "./dags", "./include", "./plugins"}
    warehouse = json.loads(environment(compose)["AIRFLOW_CONN_DUCKDB_DEFAULT"])["host"]
    assert mounts[os.path.dirname(warehouse)] in compose["volumes"]
    assert environment(compose)["HK_MARKET_WAREHOUSE"] == warehouse


def test_the_init_job_creates_the_one_slot_writer_pool(compose):
    assert f"pools set {WRITER_POOL} 1 " in compose["services"]["airflow-init"]["command"][-1]


def test_every_airflow_setting_it_sets_is_a_real_airflow_option(tmp_path):
    settings = set(AIRFLOW_SETTING.findall(COMPOSE_FILE.read_text() + (PROJECT_ROOT / ".env.example").read_text()))
    assert settings, "no AIRFLOW__SECTION__KEY found"
    known = airflow_options(airflow_home=tmp_path)
    unknown = sorted(f"AIRFLOW__{section}__{key}" for section, key in settings
                     if key.lower() not in known.get(section.lower(), ()))
    assert not unknown, f"not Airflow settings: {unknown}"


def test_env_example_names_every_variable_the_compose_file_interpolates():
    interpolated = set(INTERPOLATED.findall(COMPOSE_FILE.read_text()))
    assert interpolated == set(env_example()), "compose interpolates exactly what .env.example lists"


def test_env_example_carries_no_secret():
    secrets = {"AIRFLOW__CORE__FERNET_KEY", "AIRFLOW__API_AUTH__JWT_SECRET", "AIRFLOW_ADMIN_PASSWORD"}
    assert {name: value for name, value in env_example().items() if name in secrets} == dict.fromkeys(secrets, "")


def test_the_image_installs_the_pins_ci_tests():
    dockerfile = (PROJECT_ROOT / "Dockerfile").read_text()
    airflow_pin = re.search(r"^apache-airflow==(\S+)", (PROJECT_ROOT / "requirements.txt").read_text(), re.M)[1]
    python = re.search(r"--python-version (\S+)", (PROJECT_ROOT / "Makefile").read_text())[1]
    assert re.search(rf"^FROM apache/airflow:{re.escape(airflow_pin)}-python{re.escape(python)}$", dockerfile, re.M)
    assert re.search(r"pip install [^\n]*-r \S*requirements\.txt -c \S*constraints\.txt", dockerfile)
    assert re.search(r"pip install [^\n]*--no-deps -e /opt/airflow", dockerfile)
    for line in re.findall(r"^COPY (.+)$", dockerfile, re.M):
        for source in line.split()[1:-1]:
            assert (PROJECT_ROOT / source).exists(), f"Dockerfile copies missing {source}"


def airflow_options(airflow_home: Path) -> dict[str, set[str]]:
    """Every option Airflow knows (core and installed providers), by section, read in a throwaway AIRFLOW_HOME."""
    code = ("import json; from airflow.configuration import conf; print(json.dumps({section: sorted(body['options'])"
            " for section, body in conf.configuration_description.items()}))")
    env = {key: value for key, value in os.environ.items() if not key.startswith("AIRFLOW")}
    result = subprocess.run([sys.executable, "-c", code], env=env | {"AIRFLOW_HOME": str(airflow_home)},
                            capture_output=True, text=True, check=True, timeout=120)
    return {section: set(options) for section, options in json.loads(result.stdout.splitlines()[-1]).items()}
