"""The Makefile's targets run even where a file or folder of their name exists (bench/, for one)."""

import re
import subprocess

from hk_market import settings

MAKEFILE = settings.PROJECT_ROOT / "Makefile"


def test_every_target_that_makes_no_file_is_phony():
    text = MAKEFILE.read_text()
    targets = set(re.findall(r"^([a-z][a-z-]*):", text, re.MULTILINE))
    phony = set(re.search(r"^\.PHONY:(.*)$", text, re.MULTILINE)[1].split())

    assert {"run", "test", "bench", "backfill"} <= targets
    assert targets - phony == set()


def test_make_bench_runs_the_benchmark_beside_its_folder():
    assert (settings.PROJECT_ROOT / "bench").is_dir()

    planned = subprocess.run(["make", "-n", "bench"], cwd=settings.PROJECT_ROOT, capture_output=True, text=True,
                             check=True).stdout

    assert "bench/backfill_bench.py" in planned
