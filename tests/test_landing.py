"""The landing zone: writers that land the same file at once never leave it unreadable; an unreadable file is
named, set aside and landed again."""

import datetime as dt
import os
import subprocess
import sys
import time

import pandas as pd
import pytest

from hk_market import calendar, landing, pipeline

SESSIONS = calendar.sessions(dt.date(2024, 11, 11), dt.date(2024, 11, 14))
DAY = dt.date(2024, 11, 14)
# Lands the frame of the Parquet file argv[1] as DAY's prices, again and again, until stdin closes.
LAND_AGAIN_AND_AGAIN = """
import datetime as dt, select, sys
import pandas as pd
from hk_market import landing

frame = pd.read_parquet(sys.argv[1])
print("ready", flush=True)
while not select.select([sys.stdin], [], [], 0)[0]:
    landing.write("prices", frame, [dt.date(2024, 11, 14)])
"""


def test_two_processes_landing_the_same_day_at_once_always_leave_a_whole_file_of_one_of_them(
        scratch_warehouse, tmp_path):
    pipeline.extract("prices", [DAY])
    first = landing.read("prices", [DAY])
    second = first.assign(volume=first["volume"] + 1)  # different content, same shape
    frames = {}
    for name, frame in (("first", first), ("second", second)):
        frames[name] = tmp_path / f"{name}.parquet"
        frame.to_parquet(frames[name])
    writers = [subprocess.Popen([sys.executable, "-c", LAND_AGAIN_AND_AGAIN, str(frames[name])], env=os.environ.copy(),
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) for name in frames]
    reads = []
    try:
        assert [writer.stdout.readline().strip() for writer in writers] == ["ready", "ready"]
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            reads.append(landing.read("prices", [DAY])["volume"].sum())  # raises if a file were unreadable
        for writer in writers:
            writer.stdin.close()  # each finishes the file it is writing, then stops
        assert [writer.wait(timeout=30) for writer in writers] == [0, 0]
    finally:
        for writer in writers:
            if writer.poll() is None:
                writer.kill()
                writer.wait(timeout=30)

    assert set(reads) == {first["volume"].sum(), second["volume"].sum()}  # both writers' files were read, whole
    assert sorted(path.name for path in landing.path("prices", DAY).parent.iterdir()) == [
        landing.path("prices", DAY).name]  # no temporary file left of a writer that finished


def test_a_truncated_landed_file_is_an_error_naming_dataset_day_and_file_and_is_landed_again(scratch_warehouse):
    pipeline.extract("prices", [DAY])
    file = landing.path("prices", DAY)
    whole = landing.read("prices", [DAY])
    file.write_bytes(file.read_bytes()[: file.stat().st_size // 2])

    with pytest.raises(landing.CorruptLanding) as failure:
        landing.read("prices", [DAY])
    assert f"prices {DAY}: the landed file {file} is unreadable" in str(failure.value)
    assert "extract the day again" in str(failure.value)

    assert landing.landed("prices", [DAY]) == []  # set aside, so the next run lands it again
    pipeline.extract("prices", [DAY])
    pd.testing.assert_frame_equal(landing.read("prices", [DAY]), whole)


def test_a_landed_file_with_an_unreadable_footer_is_not_counted_as_readable(scratch_warehouse):
    for day in SESSIONS:
        pipeline.extract("prices", [day])
    landing.path("prices", DAY).write_bytes(b"PAR1 not a parquet file")

    assert landing.readable("prices", SESSIONS) == SESSIONS[:-1]
    assert landing.landed("prices", SESSIONS) == SESSIONS[:-1]


def test_a_temporary_file_a_killed_writer_left_is_removed_by_a_later_write_but_not_a_running_writers(
        scratch_warehouse):
    folder = landing.path("prices", DAY).parent
    folder.mkdir(parents=True)
    left, running = folder / f".{landing.path('prices', DAY).name}.left.partial", folder / ".running.partial"
    for partial in (left, running):
        partial.write_bytes(b"PAR1")
    two_hours_ago = time.time() - 2 * 3600
    os.utime(left, (two_hours_ago, two_hours_ago))

    pipeline.extract("prices", [DAY])

    assert sorted(path.name for path in folder.iterdir()) == sorted([running.name, landing.path("prices", DAY).name])
