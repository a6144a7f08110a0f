"""Bulk backfills over a range of sessions: chunks, not a loop of single days.

Each chunk is extracted in one batch per dataset (landed files are reused unless refetch is set),
validated, and loaded with one set-based statement per table in one transaction; the marts are
rebuilt once for the whole range at the end.

    python -m hk_market.backfill 2024-01-02 2024-11-14 [--datasets prices,southbound] [--refetch]
"""

import argparse
import datetime as dt
import logging
import sys
import time

from hk_market import DATASETS, calendar, landing, pipeline, settings

log = logging.getLogger(__name__)
CHUNK_SESSIONS = 250  # about a year: big enough for set-based loads, small enough for memory


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
        return DATASETS
    wanted = [name.strip() for name in (names.split(",") if isinstance(names, str) else names) if name.strip()]
    unknown = sorted(set(wanted) - set(DATASETS))
    if unknown or not wanted:
        raise ValueError(f"unknown datasets {unknown or wanted}: choose from {', '.join(DATASETS)}")
    return tuple(dataset for dataset in DATASETS if dataset in wanted)


def chunks(sessions: list[dt.date], size: int = CHUNK_SESSIONS) -> list[list[dt.date]]:
    """The sessions in consecutive chunks of at most size."""
    return [sessions[i : i + size] for i in range(0, len(sessions), size)]


def extract_chunk(chunk: list[dt.date], datasets: tuple[str, ...], refetch: bool = False,
                  source: str | None = None) -> dict[str, int | None]:
    """Extract each dataset for the chunk in one batch; None for a dataset whose landed files are reused."""
    rows = {}
    for dataset in datasets:
        if not refetch and len(landing.landed(dataset, chunk, source)) == len(chunk):
            rows[dataset] = None
        else:
            rows[dataset] = pipeline.extract(dataset, chunk, source)
    return rows


def load_chunk(chunk: list[dt.date], datasets: tuple[str, ...], run_id: str, source: str | None = None
               ) -> dict[str, int]:
    """Validate the chunk's landed rows per dataset, then load them all in one transaction."""
    frames = {dataset: landing.read(dataset, chunk, source) for dataset in datasets}
    for dataset in datasets:
        pipeline.validate(dataset, chunk, run_id, frame=frames[dataset], prices=frames.get("prices"), data_docs=False,
                          source=source)
    return pipeline.load(chunk, run_id, source, datasets, frames)


def run(start, end, datasets=None, refetch: bool = False, run_id: str | None = None,
        chunk_sessions: int = CHUNK_SESSIONS, progress: bool = False) -> dict[str, float]:
    """Backfill start..end; returns seconds per stage. Shows a progress bar when asked."""
    sessions, datasets = check_range(start, end), check_datasets(datasets)
    run_id = run_id or f"backfill_{sessions[0]}_{sessions[-1]}_{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S}"
    parts = chunks(sessions, chunk_sessions)
    seconds = {"extract": 0.0, "validate_and_load": 0.0, "build_marts": 0.0}
    bar = _progress_bar(len(sessions), progress)
    for number, chunk in enumerate(parts, start=1):
        started = time.perf_counter()
        extract_chunk(chunk, datasets, refetch)
        extracted = time.perf_counter()
        rows = load_chunk(chunk, datasets, run_id)
        seconds["extract"] += extracted - started
        seconds["validate_and_load"] += time.perf_counter() - extracted
        log.info("chunk %d of %d (%s..%s): loaded %s", number, len(parts), chunk[0], chunk[-1], rows)
        bar.update(len(chunk))
    bar.close()
    started = time.perf_counter()
    pipeline.build(sessions)
    seconds["build_marts"] = time.perf_counter() - started
    return seconds


def _progress_bar(total: int, shown: bool):
    from tqdm import tqdm

    return tqdm(total=total, unit="session", desc="backfill", disable=not shown)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Backfill a range of HKEX sessions in chunks.")
    parser.add_argument("start")
    parser.add_argument("end")
    parser.add_argument("--datasets", default=",".join(DATASETS))
    parser.add_argument("--refetch", action="store_true", help="fetch again even where files are landed")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    try:
        seconds = run(args.start, args.end, args.datasets, args.refetch, progress=True)
    except ValueError as error:
        parser.error(str(error))
    print(" ".join(f"{stage} {value:.1f}s" for stage, value in seconds.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
