"""Bulk backfills over a range of sessions: chunks, not a loop of single days.

Each chunk is extracted in one batch per dataset (landed files are reused unless refetch is set, and
extracted again where unreadable), validated, and loaded with one set-based statement per table, its core
and marts built in the same transaction: a killed backfill leaves no day without its marts. While a chunk is
validated and loaded, a worker process extracts the next, handing over the rows it landed (or reads the
landed files it reuses); it writes no more than those files: the warehouse is written here. The worker ends
with the process that started it, even one killed with SIGKILL.

    python -m hk_market.backfill 2024-01-02 2024-11-14 [--datasets prices,southbound] [--refetch]
"""

import argparse
import datetime as dt
import logging
import multiprocessing
import os
import sys
import time
from collections.abc import Iterator
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import contextmanager

import pandas as pd

from hk_market import calendar, expectations, landing, lifeline, pipeline, registry, settings, warehouse
from hk_market.hkex.pages import DailyQuotations

log = logging.getLogger(__name__)
CHUNK_SESSIONS = 250  # about a year: big enough for set-based loads, small enough for memory
STAGES = ("extract", "waiting for extract", "read landing", "validate", "load")  # load: with the marts


def check_range(start: str | dt.date, end: str | dt.date, today: dt.date | None = None) -> list[dt.date]:
    """The sessions from start to end, after checking both before any work; errors say which and why."""
    first, last = calendar.parse_day(start), calendar.parse_day(end)
    if first > last:
        raise ValueError(f"start {first} is after end {last}")
    today = today or dt.datetime.now(settings.HK_TZ).date()
    if last > today:
        raise ValueError(f"end {last} is in the future (today in Hong Kong is {today})")
    for day, name in ((first, "start"), (last, "end")):
        try:
            calendar.check_in_range(day)
        except ValueError as error:
            raise ValueError(f"{name} {error}") from None
    sessions = calendar.sessions(first, last)
    if not sessions:
        raise ValueError(f"there is no HKEX session from {first} to {last}")
    return sessions


def check_datasets(names: list[str] | tuple[str, ...] | str | None) -> tuple[str, ...]:
    """The datasets to backfill, in load order; an unknown name fails naming the known ones."""
    if names is None:
        return registry.NAMES
    wanted = [name.strip() for name in (names.split(",") if isinstance(names, str) else names) if name.strip()]
    unknown = sorted(set(wanted) - set(registry.NAMES))
    if unknown or not wanted:
        raise ValueError(f"unknown datasets {unknown or wanted}: choose from {', '.join(registry.NAMES)}")
    return tuple(dataset for dataset in registry.NAMES if dataset in wanted)


def chunks(sessions: list[dt.date], size: int = CHUNK_SESSIONS) -> list[list[dt.date]]:
    """The sessions in consecutive chunks of at most size."""
    return [sessions[i : i + size] for i in range(0, len(sessions), size)]


class StageSeconds(dict[str, float]):
    """Seconds spent per stage (STAGES, in order), summed over the chunks; `cpu` holds the CPU seconds (user and
    system, every thread) of the process that ran each stage, which drift less than wall seconds."""

    def __init__(self):
        super().__init__(dict.fromkeys(STAGES, 0.0))
        self.cpu = dict.fromkeys(STAGES, 0.0)

    def add(self, stage: str, seconds: float, cpu_seconds: float = 0.0) -> None:
        self[stage] += seconds
        self.cpu[stage] += cpu_seconds

    def add_all(self, other: "StageSeconds") -> None:
        for stage, seconds in other.items():
            self.add(stage, seconds, other.cpu[stage])

    @contextmanager
    def timing(self, stage: str) -> Iterator[None]:
        """Add the seconds (wall and CPU) the block takes to the stage."""
        started, cpu = time.perf_counter(), time.process_time()
        try:
            yield
        finally:
            self.add(stage, time.perf_counter() - started, time.process_time() - cpu)


def extract_chunk(chunk: list[dt.date], datasets: tuple[str, ...], refetch: bool = False,
                  source: str | None = None) -> dict[str, int | None]:
    """Extract each dataset for the chunk in one batch; None for a dataset whose landed files are reused. The
    datasets share the chunk's Daily Quotations pages (prices fetches them, short selling reads them)."""
    pages = DailyQuotations()
    return {dataset: None if _reused(dataset, chunk, refetch, source)
            else pipeline.extract(dataset, chunk, source, pages) for dataset in datasets}


def _reused(dataset: str, chunk: list[dt.date], refetch: bool, source: str | None = None) -> bool:
    """Whether the chunk's landed files of the dataset are used rather than fetched again: all landed and
    readable (landing.readable() sets an unreadable one aside, so it is fetched again)."""
    return not refetch and len(landing.readable(dataset, chunk, source)) == len(chunk)


def load_chunk(chunk: list[dt.date], datasets: tuple[str, ...], run_id: str, source: str | None = None,
               seconds: StageSeconds | None = None, frames: dict[str, pd.DataFrame] | None = None) -> dict[str, int]:
    """Validate the chunk's landed rows (read here unless given) per dataset, then load them all and build
    their marts in one transaction. One warehouse connection records the validations and loads, so the
    warehouse stays locked to other processes from the first validation to the load's commit (the DAG's
    writer pool serializes them anyway)."""
    seconds = StageSeconds() if seconds is None else seconds
    if frames is None:
        with seconds.timing("read landing"):
            frames = landing.read_datasets(datasets, chunk, source)
    with warehouse.connected() as con:
        with seconds.timing("validate"):
            for dataset in datasets:
                pipeline.validate(dataset, chunk, run_id, frame=frames[dataset], prices=frames.get("prices"),
                                  data_docs=False, source=source, con=con)
        with seconds.timing("load"):
            return pipeline.load(chunk, run_id, source, datasets, frames, con)


def run(start, end, datasets=None, refetch: bool = False, run_id: str | None = None,
        chunk_sessions: int = CHUNK_SESSIONS, progress: bool = False,
        seconds: StageSeconds | None = None) -> StageSeconds:
    """Backfill start..end; returns seconds per stage (given seconds are added to). Shows a progress bar when asked.

    With more than one chunk, a spawned worker process extracts and reads each chunk while the one before
    is validated and loaded, so a script calling run() needs the `if __name__ == "__main__":` guard. The
    stages overlap, so their seconds add up to more than the run's; "waiting for extract" is the time the
    loads waited for the worker.
    """
    sessions, datasets = check_range(start, end), check_datasets(datasets)
    run_id = run_id or f"backfill_{sessions[0]}_{sessions[-1]}_{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S}"
    parts = chunks(sessions, chunk_sessions)
    seconds = StageSeconds() if seconds is None else seconds
    bar = _progress_bar(len(sessions), progress)
    worker = _extract_worker(len(parts))
    try:
        landed = worker.submit(_extract_and_read, parts[0], datasets, refetch)
        with seconds.timing("validate"):
            expectations.prepare_suites(datasets)  # seconds of imports, while the first chunk is extracted
        for number, chunk in enumerate(parts, start=1):
            with seconds.timing("waiting for extract"):
                worker_seconds, frames = landed.result()
            if number < len(parts):  # one chunk ahead: the frames of more would pile up here
                landed = worker.submit(_extract_and_read, parts[number], datasets, refetch)
            seconds.add_all(worker_seconds)
            rows = load_chunk(chunk, datasets, run_id, seconds=seconds, frames=frames)
            log.info("chunk %d of %d (%s..%s): loaded %s", number, len(parts), chunk[0], chunk[-1], rows)
            bar.update(len(chunk))
    except BaseException:
        # Not waiting for the chunk being extracted, which may be minutes of downloads: its files are
        # landed whole or not at all (a partial file, then a rename), so the next run picks up from here.
        log.warning("backfill failed: stopping the extract worker without waiting for its chunk")
        _stop(worker)
        raise
    finally:
        worker.shutdown(cancel_futures=True)
        bar.close()
    return seconds


def _extract_worker(chunk_count: int) -> Executor:
    """Where the chunks are extracted and read: a process for several (that work is Python-bound, so a thread
    would not overlap the loads), a thread for one (no process to start). Every warehouse write stays here.
    A worker the system kills fails the run (BrokenProcessPool) rather than leaving it waiting; a run killed
    ends its worker (lifeline.end_with_parent)."""
    if chunk_count == 1:
        return ThreadPoolExecutor(max_workers=1)
    return ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                               initializer=lifeline.end_with_parent, initargs=(os.getpid(),))


def _stop(worker: Executor) -> None:
    """End the worker's process now (a thread, with no next chunk, simply finishes). Python 3.11 has no public
    way to (ProcessPoolExecutor.terminate_workers() comes in 3.14), hence its private process table."""
    processes = getattr(worker, "_processes", None) or {}
    for process in list(processes.values()):
        process.terminate()


def _extract_and_read(chunk: list[dt.date], datasets: tuple[str, ...], refetch: bool
                      ) -> tuple[StageSeconds, dict[str, pd.DataFrame]]:
    """In the worker: each dataset's rows for the chunk, as extract_chunk() lands them (the frame it landed, not
    read back) or reads them where landed files are reused, with the seconds each took."""
    seconds, frames, pages = StageSeconds(), {}, DailyQuotations()
    for dataset in datasets:
        if _reused(dataset, chunk, refetch):
            with seconds.timing("read landing"):
                frames[dataset] = landing.read(dataset, chunk)
        else:
            with seconds.timing("extract"):
                frames[dataset] = pipeline.extract_frame(dataset, chunk, pages=pages)
    return seconds, frames


def _progress_bar(total: int, shown: bool):
    from tqdm import tqdm

    return tqdm(total=total, unit="session", desc="backfill", disable=not shown)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Backfill a range of HKEX sessions in chunks.")
    parser.add_argument("start")
    parser.add_argument("end")
    parser.add_argument("--datasets", default=",".join(registry.NAMES))
    parser.add_argument("--refetch", action="store_true", help="fetch again even where files are landed")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    try:
        seconds = run(args.start, args.end, args.datasets, args.refetch, progress=True)
    except ValueError as error:
        parser.error(str(error))
    print(", ".join(f"{stage} {value:.1f} s" for stage, value in seconds.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
