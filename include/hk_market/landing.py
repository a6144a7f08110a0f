"""The landing zone: one Parquet file per source, dataset and session, each written atomically.

Files are kept apart per source (and per sample universe), so a run never reuses or loads rows that
another source landed. Each writer writes a temporary file of its own beside the target, then renames it
over the target: two processes landing the same file leave one of their files whole, never a mix (a
temporary file a killed writer left is removed by a later write, an hour on). A file
found unreadable is set aside (renamed `<file>.corrupt`), so the next extract lands it again.
"""

import datetime as dt
import logging
import os
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.dataset
import pyarrow.parquet as pq

from hk_market import settings

log = logging.getLogger(__name__)
STALE_PARTIAL_SECONDS = 3600  # a writer's temporary file this old was left by a killed writer: one takes seconds


def zone(source: str | None = None) -> Path:
    """landing/<source>/: `live`, `sample`, or `sample-full` for the full-market sample universe."""
    name = settings.source_name(source)
    return settings.landing_dir() / (f"{name}-full" if name == "sample" and settings.sample_full_market() else name)


def path(dataset: str, day: dt.date, source: str | None = None) -> Path:
    """landing/<source>/<dataset>/trade_date=YYYY-MM-DD.parquet"""
    return zone(source) / dataset / f"trade_date={day.isoformat()}.parquet"


def write(dataset: str, frame: pd.DataFrame, sessions: list[dt.date], source: str | None = None) -> None:
    """Write each session's rows (possibly none) to its own file, replacing any earlier one."""
    frame = frame.sort_values("trade_date", kind="stable") if not frame["trade_date"].is_monotonic_increasing else frame
    table = pa.Table.from_pandas(frame, preserve_index=False)
    days = frame["trade_date"].to_numpy()
    wanted = np.array(sessions, dtype="datetime64[D]").astype(days.dtype)
    starts, ends = np.searchsorted(days, wanted, "left"), np.searchsorted(days, wanted, "right")
    (zone(source) / dataset).mkdir(parents=True, exist_ok=True)
    _remove_stale_partials(zone(source) / dataset)

    def write_day(day: dt.date, start: int, end: int) -> None:
        target = path(dataset, day, source)
        handle, partial = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".partial")
        os.close(handle)
        try:
            # No dictionary pages: a session's values are mostly distinct, so they cost time and bytes for nothing.
            pq.write_table(table.slice(start, end - start), partial, use_dictionary=False)
            os.replace(partial, target)
        finally:
            Path(partial).unlink(missing_ok=True)

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(write_day, sessions, starts, ends))


def _remove_stale_partials(folder: Path) -> None:
    """Remove the temporary files that writers killed before their rename left in the folder."""
    for partial in folder.glob(".*.partial"):
        try:
            if time.time() - partial.stat().st_mtime > STALE_PARTIAL_SECONDS:
                partial.unlink()
        except FileNotFoundError:  # renamed or removed by its writer, or by another writer's clean-up
            pass


class CorruptLanding(OSError):
    """A landed file cannot be read (truncated, or not Parquet): it was set aside, and the next extract lands
    it again."""


def landed(dataset: str, sessions: list[dt.date], source: str | None = None) -> list[dt.date]:
    """The sessions that have a file landed from the source."""
    return [day for day in sessions if path(dataset, day, source).is_file()]


def readable(dataset: str, sessions: list[dt.date], source: str | None = None) -> list[dt.date]:
    """The sessions that have a file landed from the source whose Parquet footer reads; a file that does not
    is set aside (and logged), so that it is extracted again."""
    found = []
    for day in landed(dataset, sessions, source):
        try:
            pq.read_metadata(path(dataset, day, source))
            found.append(day)
        except (OSError, pa.ArrowException) as error:
            log.warning("%s", _set_aside(dataset, day, source, error))
    return found


def _set_aside(dataset: str, day: dt.date, source: str | None, error: Exception) -> str:
    """Rename an unreadable landed file to <file>.corrupt; returns what happened, naming dataset, day and file."""
    file = path(dataset, day, source)
    file.replace(file.with_name(file.name + ".corrupt"))
    return (f"{dataset} {day}: the landed file {file} is unreadable ({error}); set aside as {file.name}.corrupt, "
            "extract the day again")


def read(dataset: str, sessions: list[dt.date], source: str | None = None) -> pd.DataFrame:
    """The rows landed from the source for the sessions; an error names any session never extracted from it."""
    missing = sorted(set(sessions) - set(landed(dataset, sessions, source)))
    if missing:
        shown = ", ".join(day.isoformat() for day in missing[:5]) + (" …" if len(missing) > 5 else "")
        raise FileNotFoundError(f"{dataset}: nothing landed from {zone(source).name} for {shown}; "
                                "run its extract first")
    files = [str(path(dataset, day, source)) for day in sessions]
    try:
        table = pyarrow.dataset.dataset(files, format="parquet").to_table()
    except (OSError, pa.ArrowException) as error:
        raise CorruptLanding(_unreadable(dataset, sessions, source, error)) from error
    frame = table.to_pandas(types_mapper={pa.string(): pd.StringDtype()}.get)
    return frame.astype({"trade_date": "datetime64[s]"})


def _unreadable(dataset: str, sessions: list[dt.date], source: str | None, error: Exception) -> str:
    """Find which files made a read fail (reading each alone), set them aside, and say so."""
    found = []
    for day in sessions:
        try:
            pq.read_table(path(dataset, day, source))
        except (OSError, pa.ArrowException) as day_error:
            found.append(_set_aside(dataset, day, source, day_error))
    return "; ".join(found) or f"{dataset}: reading the landed files failed: {error}"


def read_datasets(datasets: tuple[str, ...], sessions: list[dt.date], source: str | None = None
                  ) -> dict[str, pd.DataFrame]:
    """read() of each dataset, by dataset."""
    return {dataset: read(dataset, sessions, source) for dataset in datasets}
