"""A throwaway PostgreSQL server for tests and benchmarks: Debian's postgresql, on 127.0.0.1 only.

    from tests.services import postgres
    server = postgres.start(directory)          # initdb + start, on a free port; installs postgresql if missing
    conninfo = server.create_database("lake")   # 'dbname=lake host=127.0.0.1 port=… user=hk password=…'
    postgres.stop(directory)                    # by the pid in its postmaster.pid; safe to call twice

    python tests/services/postgres.py start DIR  # prints the server's conninfo (without dbname)
    python tests/services/postgres.py stop DIR

The cluster lives in DIR (data, log, socket) and belongs to whoever runs this, except as root, where
PostgreSQL refuses to run: then DIR is handed to the `postgres` user and the server runs as it (runuser).
Password authentication (scram) over TCP with a generated password, so a secret exists to be kept out of
logs. Stop is by pid, SIGINT (fast shutdown) then SIGKILL, and waits until the process is gone.
"""

import dataclasses
import glob
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

HOST = "127.0.0.1"
USER = "hk"
SERVICE_USER = "postgres"  # who runs the server when we are root


@dataclasses.dataclass(frozen=True)
class Server:
    directory: Path
    port: int
    password: str
    pid: int

    @property
    def conninfo(self) -> str:
        """libpq key=value connection string of the server, without a dbname."""
        return f"host={HOST} port={self.port} user={USER} password={self.password}"

    def create_database(self, name: str) -> str:
        """Create the database (if missing) and return its conninfo."""
        exists = self.sql(f"select 1 from pg_database where datname = '{name}'", "postgres")
        if not exists.strip():
            self.sql(f'create database "{name}"', "postgres")
        return f"dbname={name} {self.conninfo}"

    def sql(self, statement: str, database: str = "postgres") -> str:
        """Run one statement with psql; its unaligned output."""
        done = subprocess.run([_binary("psql"), "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", statement,
                               f"dbname={database} {self.conninfo}"], capture_output=True, text=True, check=False)
        if done.returncode:
            raise RuntimeError(f"psql failed: {done.stderr.strip()}")
        return done.stdout


def start(directory: str | Path, timeout: float = 60) -> Server:
    """A new cluster in directory (which must not hold one yet), started on a free port of 127.0.0.1."""
    ensure_installed()
    directory = Path(directory).resolve()
    data, password = directory / "data", secrets.token_urlsafe(16)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "pwfile").write_text(password + "\n")
    if os.geteuid() == 0:
        shutil.chown(directory, SERVICE_USER)
        for path in directory.iterdir():
            shutil.chown(path, SERVICE_USER)
    _run_as_owner([_binary("initdb"), "-D", str(data), "-U", USER, "--auth=scram-sha-256",
                   f"--pwfile={directory / 'pwfile'}", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"])
    (directory / "pwfile").unlink()
    port = _free_port()
    options = f"-c listen_addresses={HOST} -p {port} -k {directory} -c fsync=off -c max_connections=200"
    _run_as_owner([_binary("pg_ctl"), "-D", str(data), "-o", options, "-l", str(directory / "postgres.log"),
                   "-w", "-t", str(int(timeout)), "start"])
    (directory / "conninfo").write_text(f"host={HOST} port={port} user={USER} password={password}\n")
    return Server(directory, port, password, _pid(data))


def stop(directory: str | Path, timeout: float = 30) -> None:
    """Stop the cluster in directory by its pid (fast shutdown, then kill); nothing to do if it is not running."""
    data = Path(directory).resolve() / "data"
    try:
        pid = _pid(data)
    except (FileNotFoundError, ValueError):
        return
    for sig, wait in ((signal.SIGINT, timeout), (signal.SIGKILL, 10)):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if not _alive(pid):
                return
            time.sleep(0.1)
    raise RuntimeError(f"postgres (pid {pid}) in {directory} did not stop")


def ensure_installed() -> None:
    """Install Debian's postgresql with apt-get when its server binaries are missing (root only)."""
    if _bin_dir():
        return
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        raise RuntimeError("PostgreSQL's server (initdb, pg_ctl) is not installed: apt-get install postgresql")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "update", "-q"], check=True, env=env, capture_output=True)
    subprocess.run(["apt-get", "install", "-y", "-q", "postgresql"], check=True, env=env, capture_output=True)
    if not _bin_dir():
        raise RuntimeError("apt-get installed postgresql, but no initdb was found")


def _bin_dir() -> Path | None:
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    return Path(versions[-1]).parent if versions else None


def _binary(name: str) -> str:
    if name == "psql" and shutil.which("psql"):
        return shutil.which("psql")
    return str(_bin_dir() / name)


def _run_as_owner(command: list[str]) -> None:
    if os.geteuid() == 0:
        command = ["runuser", "-u", SERVICE_USER, "--", *command]
    done = subprocess.run(command, capture_output=True, text=True, cwd="/", check=False)
    if done.returncode:
        raise RuntimeError(f"{' '.join(command[:4])} failed: {done.stderr.strip() or done.stdout.strip()}")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def _pid(data: Path) -> int:
    return int((data / "postmaster.pid").read_text().splitlines()[0])


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie child of ours counts as gone
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


if __name__ == "__main__":
    action, where = sys.argv[1:3] if len(sys.argv) == 3 else (None, None)
    if action == "start":
        print(start(where).conninfo)
    elif action == "stop":
        stop(where)
    else:
        sys.exit("usage: python tests/services/postgres.py start|stop DIR")
