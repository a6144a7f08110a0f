import subprocess
import sys
import time

import pytest

from hk_market import warehouse

HOLD_LOCK = """
import duckdb, sys, time
con = duckdb.connect(sys.argv[1])
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
"""


def hold_lock(path, seconds: float) -> subprocess.Popen:
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(path), str(seconds)], stdout=subprocess.PIPE,
                              text=True)
    assert holder.stdout.readline().strip() == "locked"
    return holder


def test_a_writer_waits_for_another_process_to_release_the_warehouse(scratch_warehouse, caplog):
    scratch_warehouse.parent.mkdir(parents=True)
    holder = hold_lock(scratch_warehouse, 1.5)
    started = time.monotonic()
    with warehouse.connect(scratch_warehouse, wait_seconds=30) as con:
        assert con.execute("select 1").fetchone() == (1,)
    holder.wait()
    assert time.monotonic() - started >= 0.5
    assert "locked by another process" in caplog.text


def test_a_writer_that_waits_too_long_fails_naming_the_warehouse(scratch_warehouse):
    scratch_warehouse.parent.mkdir(parents=True)
    holder = hold_lock(scratch_warehouse, 5)
    try:
        with pytest.raises(warehouse.WarehouseBusyError, match=str(scratch_warehouse)):
            with warehouse.connect(scratch_warehouse, wait_seconds=0.5):
                pass
    finally:
        holder.kill()
