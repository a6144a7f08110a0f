"""A writer process for the DuckLake tests: validates, loads and builds each given session in turn (one day per
load transaction and per build transaction), from landing files already extracted; prints a line per day.

    python -m tests.lake.writer RUN_ID 2024-11-11 2024-11-12 ...
"""

import datetime as dt
import logging
import sys

from hk_market import pipeline
from hk_market.registry import NAMES


def main(run_id: str, days: list[str]) -> None:
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    for day in map(dt.date.fromisoformat, days):
        for dataset in NAMES:
            pipeline.validate(dataset, [day], run_id, data_docs=False)
        pipeline.load([day], run_id, "sample")
        pipeline.build([day])
        print(f"{run_id} built {day}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
