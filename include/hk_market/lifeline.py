"""A worker process that ends with its parent, even one killed with SIGKILL (which runs none of its code).

Kept free of heavy imports: a spawned worker runs end_with_parent() as soon as it has imported this module,
not seconds later after pandas.
"""

import ctypes
import os
import signal
import sys
import threading
import time

PR_SET_PDEATHSIG = 1  # prctl(2): the signal a Linux process gets when the thread that started it ends


def end_with_parent(parent: int) -> None:
    """In the worker (a process pool's initializer): on Linux the kernel sends SIGTERM when the parent ends
    (prctl PR_SET_PDEATHSIG); everywhere, a thread exits once getppid() changes (an orphan is adopted by
    another process), which also covers a parent that ended before prctl took effect."""
    if sys.platform == "linux":
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent:
        os._exit(1)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1)
        os._exit(1)

    threading.Thread(target=watch, name="end-with-parent", daemon=True).start()
