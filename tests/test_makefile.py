"""The Makefile's targets run even where a file or folder of their name exists (bench/, for one)."""

import re

from hk_market import settings

MAKEFILE = settings.PROJECT_ROOT / "Makefile"


def test_every_target_that_makes_no_file_is_phony():
    text = MAKEFILE.read_text()
    targets = set(re.findall(r"^([a-z][a-z-]*):", text, re.MULTILINE))
    phony = set(re.search(r"^\.PHONY:(.*)$", text, re.MULTILINE)[1].split())

    assert {"run", "test", "bench", "backfill"} <= targets
    assert targets - phony == set()
