"""The hostname a task instance records on the one-machine cluster: its Celery worker's name.

Airflow records `socket.getfqdn()` by default, the same for both workers of `make cluster`, since they
share a machine; `cluster.py` points each worker's `[core] hostname_callable` here, with the worker's name
(`worker1@<host>`) in CLUSTER_WORKER_NAME, so the UI and the REST API tell the workers apart. Task logs
are read from the shared log folder, so nothing needs to reach a worker under this name.
"""

import os
import socket


def hostname() -> str:
    return os.environ.get("CLUSTER_WORKER_NAME") or socket.getfqdn()
