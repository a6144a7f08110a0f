"""A real distributed Airflow on this machine: `make cluster` starts it, `make cluster-stop` stops it.

    python cluster/cluster.py start [--root .cluster] [--airflow-port 8080]
    python cluster/cluster.py stop  [--root .cluster]

What `start` runs, every process on 127.0.0.1 and under ROOT (default `.cluster/`):
- one PostgreSQL server (Debian's `postgresql`; data in ROOT/postgres, run as the OS user `postgres` when
  started by root, since postgres refuses root) holding two databases: `airflow` (Airflow's metadata, role
  `airflow`) and `hk_market_lake` (the DuckLake catalog, role `hk_market`);
- one Redis server (Debian's `redis-server`), the Celery broker, with a password;
- Airflow from .venv with the CeleryExecutor: api-server, scheduler, dag-processor, triggerer, and two
  Celery workers, `worker1@<host>` and `worker2@<host>` (two task slots each);
- the warehouse on DuckLake: HK_MARKET_WAREHOUSE=ducklake:postgres:dbname=hk_market_lake host=127.0.0.1 …,
  its data files in ROOT/lake/, its tables created at start (analysts can attach it before the first run);
  landing zone, reports and task logs under ROOT too.

Passwords and keys are generated once into ROOT/secrets.json (mode 600); libpq reads the Postgres
passwords from ROOT/pgpass (PGPASSFILE), so no connection string carries one. Every process is started
in a session of its own and its pid written to ROOT/pids/<name>.pid (with its start time, so a reused pid
is never signalled); `stop` signals exactly those. ROOT/cluster.env holds the environment that points
the Airflow CLI (and the library) at the cluster: `set -a; . .cluster/cluster.env; set +a`.

Postgres and Redis listen on free ports unless CLUSTER_POSTGRES_PORT / CLUSTER_REDIS_PORT name one;
the api-server listens on --airflow-port (the Makefile passes AIRFLOW_PORT). Variables already set in the
environment that the script does not set itself (say AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE) reach every
Airflow process. Only the standard library is needed to stop the cluster.
"""

import argparse
import base64
import glob
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
DATABASES_SQL = PROJECT / "cluster" / "databases.sql"  # also docker-compose.yaml's
WRITER_POOL = "duckdb_writer"  # hk_market.airflow_glue.dag_defaults.WRITER_POOL (not imported: stop needs no venv)
WORKERS = ("worker1", "worker2")
AIRFLOW_PROCESSES = ("api-server", "scheduler", "dag-processor", "triggerer", *WORKERS)
# Stopped in this order: nothing new is scheduled, running tasks finish, then the services they need.
STOP_ORDER = ("scheduler", *WORKERS, "triggerer", "dag-processor", "api-server", "redis", "postgres")
WORKER_CONCURRENCY = "2"
PARALLELISM = "4"  # two cores here, and other people's tests beside ours
POSTGRES_OS_USER = "postgres"
METADATA_DB, METADATA_ROLE = "airflow", "airflow"
LAKE_DB, LAKE_ROLE = "hk_market_lake", "hk_market"
READY_SECONDS = float(os.environ.get("CLUSTER_READY_SECONDS", "240"))
STOP_GRACE_SECONDS = 30


class ClusterError(RuntimeError):
    """The cluster could not start; the message says why and what to do."""


# ---------------------------------------------------------------------------------------------- processes

def pid_file(root: Path, name: str) -> Path:
    return root / "pids" / f"{name}.pid"


def start_time(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (field 22 of /proc/<pid>/stat), None if gone (or a
    zombie: exited, and not yet reaped by its parent, this script while it starts the cluster)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return None if fields[0] in ("Z", "X") else fields[19]


def record_pid(root: Path, name: str, pid: int) -> None:
    path = pid_file(root, name)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"{pid} {start_time(pid)}\n")


def recorded_pid(root: Path, name: str) -> int | None:
    """The pid recorded for a process, if that very process (same start time) is still alive."""
    try:
        pid, started = pid_file(root, name).read_text().split()
    except (OSError, ValueError):
        return None
    return int(pid) if start_time(int(pid)) == started else None


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def wait_gone(pid: int, pgid: int | None, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if start_time(pid) is None and (pgid is None or not group_alive(pgid)):
            return True
        time.sleep(0.2)
    return False


def stop_process(root: Path, name: str) -> None:
    """Stop a recorded process and its process group (it leads one: started in a session of its own):
    its own shutdown signal first (postgres: SIGINT, a fast shutdown; the rest: SIGTERM, Celery's warm
    shutdown), SIGKILL for whatever of the group is left after the grace period."""
    pid = recorded_pid(root, name)
    if pid is not None:
        first = signal.SIGINT if name == "postgres" else signal.SIGTERM
        print(f"stopping {name} (pid {pid})")
        try:
            os.kill(pid, first)
        except ProcessLookupError:
            pass
        if not wait_gone(pid, pid, STOP_GRACE_SECONDS):
            print(f"{name} (pid {pid}) still running after {STOP_GRACE_SECONDS} s: SIGKILL to its process group")
            try:
                os.killpg(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            wait_gone(pid, pid, 10)
    pid_file(root, name).unlink(missing_ok=True)


def spawn(root: Path, name: str, argv: list[str], env: dict[str, str], user: str | None = None) -> int:
    """Start a process in a session of its own, its output in ROOT/logs/<name>.log, and record its pid."""
    log = root / "logs" / f"{name}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, env=env,
                                   cwd=root, start_new_session=True, user=user)
    record_pid(root, name, process.pid)
    return process.pid


def log_tail(root: Path, name: str, chars: int = 3000) -> str:
    path = root / "logs" / f"{name}.log"
    text = path.read_text(errors="replace")[-chars:] if path.exists() else "(no log)"
    return f"--- tail of {path} ---\n{text}"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def port_in_use(port: int) -> bool:
    """Whether something listens on the loopback port (connections of a stopped server in TIME_WAIT do not count)."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
            return False
        except OSError:
            return True


# ---------------------------------------------------------------------------------------------- packages

def postgres_bindir() -> Path | None:
    """Debian's versioned server binaries (/usr/lib/postgresql/<n>/bin), the newest; else PATH's."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"), key=lambda p: int(Path(p).parts[4]))
    if found:
        return Path(found[-1]).parent
    on_path = shutil.which("postgres")
    return Path(on_path).resolve().parent if on_path else None


def ensure_packages() -> tuple[Path, str]:
    """Postgres's bin directory and redis-server's path, installing Debian's packages when missing and possible."""
    missing = [package for package, present in (("postgresql", postgres_bindir()),
                                                 ("redis-server", shutil.which("redis-server"))) if not present]
    if missing:
        if os.geteuid() != 0 or not shutil.which("apt-get"):
            raise ClusterError(f"missing {', '.join(missing)}: install them, e.g. "
                               f"`sudo apt-get install {' '.join(missing)}` (Debian/Ubuntu)")
        print(f"installing {' '.join(missing)} with apt-get")
        env = os.environ | {"DEBIAN_FRONTEND": "noninteractive"}
        for argv in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", *missing]):
            if subprocess.run(argv, env=env).returncode != 0:
                raise ClusterError(f"`{' '.join(argv)}` failed: install {' '.join(missing)} by hand")
    bindir, redis = postgres_bindir(), shutil.which("redis-server")
    if not bindir or not redis:
        raise ClusterError("postgresql or redis-server is still missing after apt-get install")
    return bindir, redis


# ---------------------------------------------------------------------------------------------- secrets

def secrets_of(root: Path) -> dict[str, str]:
    """The cluster's passwords and keys, generated once (mode 600)."""
    import secrets

    path = root / "secrets.json"
    if path.exists():
        return json.loads(path.read_text())
    values = {
        "postgres_airflow": secrets.token_urlsafe(18),
        "postgres_hk_market": secrets.token_urlsafe(18),
        "redis": secrets.token_urlsafe(18),
        "jwt_secret": secrets.token_urlsafe(32),
        "fernet_key": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        "admin": secrets.token_urlsafe(12),
    }
    path.touch(mode=0o600)
    path.write_text(json.dumps(values, indent=1))
    return values


def write_private(path: Path, text: str) -> None:
    path.touch(mode=0o600)
    path.chmod(0o600)
    path.write_text(text)


# ---------------------------------------------------------------------------------------------- postgres

def postgres_user() -> str | None:
    """The OS user postgres runs as: `postgres` when we are root (postgres refuses root), else ourselves."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(POSTGRES_OS_USER)
    except KeyError as missing:
        raise ClusterError(f"running as root, postgres needs the OS user {POSTGRES_OS_USER!r} "
                           "(Debian's postgresql package creates it)") from missing
    return POSTGRES_OS_USER


def hand_to(path: Path, user: str | None) -> None:
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(0o700)
    if user:
        entry = pwd.getpwnam(user)
        shutil.chown(path, entry.pw_uid, entry.pw_gid)


def start_postgres(root: Path, bindir: Path, port: int, secrets: dict[str, str], env: dict[str, str]) -> None:
    user = postgres_user()
    data, sockets = root / "postgres", root / "postgres-socket"
    hand_to(sockets, user)
    pg_env = {"PATH": env["PATH"], "LANG": "C.UTF-8", "HOME": str(root)}
    if not (data / "PG_VERSION").exists():
        hand_to(data, user)
        print(f"initdb {data}")
        run([str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth-local=trust",
             "--auth-host=scram-sha-256", "--encoding=UTF8", "--no-locale"], root, "initdb", pg_env, user)
    spawn(root, "postgres", [str(bindir / "postgres"), "-D", str(data), "-p", str(port),
                             "-c", "listen_addresses=127.0.0.1", "-c", f"unix_socket_directories={sockets}",
                             "-c", "unix_socket_permissions=0700", "-c", "max_connections=200"], pg_env, user)
    wait_for("postgres to accept connections", root, ["postgres"], lambda: run(
        [str(bindir / "pg_isready"), "-q", "-h", str(sockets), "-p", str(port)], root, None, pg_env, user,
        check=False).returncode == 0, 60)
    # Roles and databases, the same as docker-compose.yaml's Postgres gets.
    run([str(bindir / "psql"), "-q", "-X", "-v", "ON_ERROR_STOP=1", "-h", str(sockets), "-p", str(port),
         "-U", "postgres", "-d", "postgres", "-v", f"airflow_password={secrets['postgres_airflow']}",
         "-v", f"lake_password={secrets['postgres_hk_market']}", "-f", "-"], root, None, pg_env, user,
        stdin=DATABASES_SQL.read_text())


def run(argv: list[str], root: Path, log_name: str | None, env: dict[str, str], user: str | None = None,
        check: bool = True, stdin: str | None = None, timeout: float = 600) -> subprocess.CompletedProcess:
    result = subprocess.run(argv, input=stdin, capture_output=True, text=True, env=env, cwd=root, user=user,
                            timeout=timeout)
    if log_name:
        (root / "logs").mkdir(parents=True, exist_ok=True)
        (root / "logs" / f"{log_name}.log").write_text(result.stdout + result.stderr)
    if check and result.returncode != 0:
        raise ClusterError(f"`{' '.join(argv[:3])} …` exited with {result.returncode}:\n"
                           f"{(result.stdout + result.stderr)[-3000:]}")
    return result


# ---------------------------------------------------------------------------------------------- airflow

def cluster_environment(root: Path, airflow_port: int, postgres_port: int, redis_port: int,
                        secrets: dict[str, str]) -> dict[str, str]:
    """What every Airflow process of the cluster sees (and what ROOT/cluster.env exports)."""
    bindir = Path(sys.executable).parent
    warehouse = (f"ducklake:postgres:dbname={LAKE_DB} host=127.0.0.1 port={postgres_port} user={LAKE_ROLE}")
    metadata = f"postgresql+psycopg2://{METADATA_ROLE}@127.0.0.1:{postgres_port}/{METADATA_DB}"
    return {
        "PATH": f"{bindir}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}",
        "PGPASSFILE": str(root / "pgpass"),  # libpq (psycopg2, DuckDB's postgres extension) reads passwords here
        "AIRFLOW_HOME": str(root / "airflow"),
        "AIRFLOW__CORE__DAGS_FOLDER": str(PROJECT / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(PROJECT / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
        "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
        "AIRFLOW__CORE__PARALLELISM": PARALLELISM,
        "AIRFLOW__CORE__FERNET_KEY": secrets["fernet_key"],
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{airflow_port}/execution/",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": metadata,
        "AIRFLOW__CELERY__BROKER_URL": f"redis://:{secrets['redis']}@127.0.0.1:{redis_port}/0",
        "AIRFLOW__CELERY__RESULT_BACKEND": f"db+{metadata}",
        "AIRFLOW__CELERY__WORKER_CONCURRENCY": WORKER_CONCURRENCY,
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__API__PORT": str(airflow_port),
        "AIRFLOW__API_AUTH__JWT_SECRET": secrets["jwt_secret"],  # one secret: the scheduler signs, the API checks
        "HK_MARKET_SOURCE": os.environ.get("HK_MARKET_SOURCE", "sample"),
        "HK_MARKET_WAREHOUSE": warehouse,
        "HK_MARKET_LAKE_DATA": f"{root / 'lake'}/",
        # What the tasks take the warehouse from (hk_market.airflow_glue.dag_defaults.use_airflow_warehouse): the
        # DuckLake's catalog database, whose password Airflow masks in task logs, and its data path.
        "AIRFLOW_CONN_HK_MARKET_WAREHOUSE": json.dumps({
            "conn_type": "postgres", "host": "127.0.0.1", "port": postgres_port, "login": LAKE_ROLE,
            "password": secrets["postgres_hk_market"], "schema": LAKE_DB, "extra": {"data_path": f"{root / 'lake'}/"}}),
        "AIRFLOW_CONN_DUCKDB_DEFAULT": json.dumps({"conn_type": "duckdb", "host": warehouse}),
        "HK_MARKET_LANDING": str(root / "landing"),
        "HK_MARKET_REPORTS": str(root / "reports"),
        "HK_MARKET_SNAPSHOT": str(root / "warehouse" / "hk_market_analyst.duckdb"),
    }


def airflow(env: dict[str, str], *args: str) -> list[str]:
    return [str(Path(sys.executable).with_name("airflow")), *args]


def start_airflow(root: Path, env: dict[str, str], airflow_port: int) -> None:
    home = Path(env["AIRFLOW_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    print("airflow db migrate")
    run(airflow(env, "db", "migrate"), root, "db-migrate", env)
    run(airflow(env, "pools", "set", WRITER_POOL, "1", "One warehouse writer task at a time"), root, "pools", env)
    # No log servers (they listen on every interface): every process here shares AIRFLOW_HOME/logs.
    commands = {
        "api-server": ("api-server", "--host", "127.0.0.1", "--port", str(airflow_port), "--workers", "1"),
        "scheduler": ("scheduler", "--skip-serve-logs"),
        "dag-processor": ("dag-processor",),
        "triggerer": ("triggerer", "--skip-serve-logs"),
        **{worker: ("celery", "worker", "--celery-hostname", f"{worker}@%h", "--concurrency", WORKER_CONCURRENCY,
                    "--skip-serve-logs") for worker in WORKERS},
    }
    host = socket.gethostname()
    for name, args in commands.items():
        own = {}
        if name in WORKERS:  # its task instances record the worker's name as their hostname
            own = {"CLUSTER_WORKER_NAME": f"{name}@{host}",
                   "AIRFLOW__CORE__HOSTNAME_CALLABLE": "worker_hostname.hostname",
                   "PYTHONPATH": os.pathsep.join(filter(None, [str(Path(__file__).parent),
                                                               env.get("PYTHONPATH")]))}
        spawn(root, name, airflow(env, *args), env | own)


def api_healthy(port: int) -> bool:
    """The api-server answers and reports the metadata database and the scheduler healthy."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/monitor/health", timeout=3) as response:
            health = json.load(response)
    except (urllib.error.URLError, OSError, ValueError):
        return False
    return all(health.get(part, {}).get("status") == "healthy" for part in ("metadatabase", "scheduler"))


def registered_workers(broker_url: str) -> set[str]:
    """The Celery workers that answer a ping on the broker (`worker1@host`, …)."""
    from celery import Celery

    app = Celery(broker=broker_url)
    try:
        replies = app.control.ping(timeout=2.0) or []
    except Exception:  # the broker not up yet: nobody registered
        return set()
    finally:
        app.close()
    return {name for reply in replies for name in reply}


def wait_for(what: str, root: Path, names: list[str], ready, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not ready():
        for name in names:
            if recorded_pid(root, name) is None:
                raise ClusterError(f"{name} exited while waiting for {what}\n{log_tail(root, name)}")
        if time.monotonic() > deadline:
            raise ClusterError(f"timed out after {seconds:.0f} s waiting for {what}\n"
                               + "\n".join(log_tail(root, name, 1500) for name in names))
        time.sleep(1)


# ---------------------------------------------------------------------------------------------- commands

def start(root: Path, airflow_port: int) -> None:
    root.mkdir(parents=True, exist_ok=True)
    running = [name for name in STOP_ORDER if recorded_pid(root, name) is not None]
    if running:
        raise ClusterError(f"the cluster in {root} is already running ({', '.join(running)}): "
                           "`make cluster-stop` first")
    if port_in_use(airflow_port):
        raise ClusterError(f"port {airflow_port} is in use: set AIRFLOW_PORT to a free one")
    began = time.monotonic()
    bindir, redis_server = ensure_packages()
    secrets = secrets_of(root)
    postgres_port = int(os.environ.get("CLUSTER_POSTGRES_PORT") or free_port())
    redis_port = int(os.environ.get("CLUSTER_REDIS_PORT") or free_port())
    env = os.environ | cluster_environment(root, airflow_port, postgres_port, redis_port, secrets)
    write_private(root / "pgpass", "".join(f"127.0.0.1:{postgres_port}:*:{role}:{secrets[key]}\n" for role, key in (
        (METADATA_ROLE, "postgres_airflow"), (LAKE_ROLE, "postgres_hk_market"))))
    write_private(root / "cluster.env", "".join(f"{name}={json.dumps(value)}\n" for name, value in
                                                cluster_environment(root, airflow_port, postgres_port, redis_port,
                                                                    secrets).items() if name != "PATH"))
    (root / "ports.json").write_text(json.dumps({"airflow": airflow_port, "postgres": postgres_port,
                                                 "redis": redis_port}))
    home = Path(env["AIRFLOW_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    write_private(home / "simple_auth_manager_passwords.json.generated", json.dumps({"admin": secrets["admin"]}))
    (root / "lake").mkdir(exist_ok=True)
    try:
        start_postgres(root, bindir, postgres_port, secrets, env)
        (root / "redis").mkdir(exist_ok=True)
        write_private(root / "redis.conf", f"requirepass {secrets['redis']}\n")
        spawn(root, "redis", [redis_server, str(root / "redis.conf"), "--bind", "127.0.0.1", "--port",
                              str(redis_port), "--dir", str(root / "redis"), "--save", "", "--appendonly", "no",
                              "--daemonize", "no"], env)
        # The lake with the warehouse's tables, so analysts can attach it before the first run.
        run([sys.executable, "-c", "from hk_market import warehouse\nwith warehouse.connected(): pass"], root,
            "lake-schema", env)
        start_airflow(root, env, airflow_port)
        wait_for("the api-server to report the database and the scheduler healthy", root,
                 list(AIRFLOW_PROCESSES), lambda: api_healthy(airflow_port), READY_SECONDS)
        host = socket.gethostname()
        expected = {f"{worker}@{host}" for worker in WORKERS}
        wait_for(f"workers {', '.join(sorted(expected))} to register", root, list(WORKERS),
                 lambda: expected <= registered_workers(env["AIRFLOW__CELERY__BROKER_URL"]), READY_SECONDS)
    except BaseException:
        print("the cluster did not start: stopping what was started", file=sys.stderr)
        stop(root)
        raise
    print(f"cluster up in {time.monotonic() - began:.0f} s: postgres 127.0.0.1:{postgres_port} "
          f"(databases {METADATA_DB}, {LAKE_DB}), redis 127.0.0.1:{redis_port}, "
          f"CeleryExecutor, workers {', '.join(sorted(expected))}")
    print(f"warehouse: {env['HK_MARKET_WAREHOUSE']}   lake data: {env['HK_MARKET_LAKE_DATA']}   "
          f"source: {env['HK_MARKET_SOURCE']}")
    print(f"logs: {root / 'logs'}   Airflow CLI on it: set -a; . {root / 'cluster.env'}; set +a   "
          "stop: make cluster-stop")
    print(f"Airflow UI: http://localhost:{airflow_port}   login: admin / {secrets['admin']}")


def stop(root: Path) -> None:
    for name in STOP_ORDER:
        stop_process(root, name)
    ports = json.loads((root / "ports.json").read_text()) if (root / "ports.json").exists() else {}
    busy = {name: port for name, port in ports.items() if port_in_use(port)}
    if busy:
        print(f"still in use after stopping (not by a process of this cluster?): {busy}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=("start", "stop"))
    parser.add_argument("--root", type=Path, default=Path(os.environ.get("CLUSTER_ROOT", PROJECT / ".cluster")),
                        help="where the cluster keeps its data, logs and pid files (default .cluster/)")
    parser.add_argument("--airflow-port", type=int, default=int(os.environ.get("AIRFLOW_PORT", "8080")))
    args = parser.parse_args(argv)
    root = args.root.resolve()
    try:
        if args.command == "start":
            start(root, args.airflow_port)
        else:
            stop(root)
    except ClusterError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
