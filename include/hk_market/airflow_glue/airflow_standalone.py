"""`make airflow`: `airflow standalone` sized to this machine, and stopped whole by Ctrl-C or SIGTERM.

    python -m hk_market.airflow_glue.airflow_standalone [extra arguments for airflow standalone]

`airflow standalone` stops its components only on Ctrl-C, and a SIGTERM leaves the scheduler, the
api-server and the triggerer running; task processes even make process groups of their own. So it
runs here in a session of its own, and on SIGINT, SIGTERM or SIGHUP (or when it exits) every process of
that session gets SIGTERM, then SIGKILL whatever is left after a grace period.

The LocalExecutor starts `[core] parallelism` worker processes at once (32 by default): unless
AIRFLOW__CORE__PARALLELISM is set, it is two per CPU this process may use.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

GRACE_SECONDS = 20.0


def parallelism() -> int:
    """Task slots for this machine: two per usable CPU (tasks mostly wait on I/O or the one writer)."""
    return 2 * len(os.sched_getaffinity(0))


def session_members(session: int) -> list[int]:
    """The pids of every live process in a session, read from /proc (zombies are dead already)."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended while we looked
            continue
        if int(fields[3]) == session and fields[0] != "Z":
            members.append(int(stat.parent.name))
    return members


def stop_session(session: int, grace: float = GRACE_SECONDS) -> None:
    """SIGTERM every process of the session (again for any that appear), SIGKILL those left after grace."""
    deadline = time.monotonic() + grace
    while members := session_members(session):
        sig = signal.SIGTERM if time.monotonic() < deadline else signal.SIGKILL
        for pid in members:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        time.sleep(0.2)


def main(argv: list[str]) -> int:
    env = {**os.environ}
    env.setdefault("AIRFLOW__CORE__PARALLELISM", str(parallelism()))
    print(f"airflow standalone: {env['AIRFLOW__CORE__PARALLELISM']} task slots (AIRFLOW__CORE__PARALLELISM)",
          flush=True)
    airflow = Path(sys.executable).with_name("airflow")
    standalone = subprocess.Popen([str(airflow), "standalone", *argv], env=env, start_new_session=True)
    stopping: list[int] = []

    def stop(signum, _frame) -> None:
        stopping.append(signum)
        stop_session(standalone.pid)

    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, stop)
    code = standalone.wait()
    stop_session(standalone.pid)  # it exited on its own: what it started goes too
    return 128 + stopping[0] if stopping else code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
