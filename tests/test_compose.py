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

from hk_market.airflow_glue.dag_defaults import WRITER_POOL
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


def mounts_of(service: dict) -> dict[str, str]:
    """Container path -> host path or volume of a service's mounts."""
    return {mount.split(":")[1]: mount.split(":")[0] for mount in service.get("volumes", [])}


def test_it_mounts_the_project_code(compose):
    mounts = mounts_of(compose["x-airflow-common"])
    assert {mounts[f"/opt/airflow/{folder}"] for folder in ("dags", "include", "plugins")} == {
        "./dags", "./include", "./plugins"}


def test_the_warehouse_is_a_ducklake_on_the_compose_postgres_with_its_data_on_a_volume_every_worker_mounts(compose):
    env = environment(compose)
    lake_data = env["HK_MARKET_LAKE_DATA"]
    airflow_services = [name for name in compose["services"] if name.startswith("airflow-")]
    volumes = {name: mounts_of(compose["services"][name]).get(lake_data.rstrip("/")) for name in airflow_services}
    assert set(volumes.values()) == {"lake"} and "lake" in compose["volumes"], volumes
    assert env["HK_MARKET_WAREHOUSE"] == ("ducklake:postgres:dbname=hk_market_lake host=postgres port=5432 "
                                          "user=hk_market")
    connection = json.loads(env["AIRFLOW_CONN_HK_MARKET_WAREHOUSE"])
    assert (connection["conn_type"], connection["host"], connection["port"], connection["login"], connection["schema"],
            connection["extra"]["data_path"]) == ("postgres", "postgres", 5432, "hk_market", "hk_market_lake",
                                                  lake_data)
    assert connection["password"] == "${HK_MARKET_LAKE_PASSWORD}" == env["PGPASSWORD"].split(":?")[0] + "}"
    assert "AIRFLOW_CONN_DUCKDB_DEFAULT" not in env, "no DuckDB file beside the lake"


def test_its_postgres_creates_the_metadata_and_the_lake_catalog_databases_on_first_start(compose):
    postgres = mounts_of(compose["services"]["postgres"])
    init_scripts = {target: source for target, source in postgres.items()
                    if target.startswith("/docker-entrypoint-initdb.d/")}
    assert list(init_scripts.values()) == ["./cluster/postgres-init.sh"]
    script = (PROJECT_ROOT / "cluster" / "postgres-init.sh").read_text()
    sql_in_container = re.search(r"-f (\S+)", script)[1]
    assert postgres[sql_in_container] == "./cluster/databases.sql"
    sql = (PROJECT_ROOT / "cluster" / "databases.sql").read_text()
    metadata_db = environment(compose)["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].rsplit("/", 1)[1]
    lake_db = re.search(r"dbname=(\S+)", environment(compose)["HK_MARKET_WAREHOUSE"])[1]
    assert set(re.findall(r"create database (\w+)", sql)) == {metadata_db, lake_db}
    for variable in re.findall(r"\$(\w+)", script.split("psql", 1)[1]):
        assert variable == "POSTGRES_USER" or variable in compose["services"]["postgres"]["environment"], variable


def test_it_runs_two_workers(compose):
    assert compose["services"]["airflow-worker"]["deploy"]["replicas"] == 2


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
    secrets = {"AIRFLOW__CORE__FERNET_KEY", "AIRFLOW__API_AUTH__JWT_SECRET", "AIRFLOW_ADMIN_PASSWORD",
               "POSTGRES_PASSWORD", "HK_MARKET_LAKE_PASSWORD"}
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
