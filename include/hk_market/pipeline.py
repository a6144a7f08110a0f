"""The steps of a run, as the DAGs call them: plan, extract, validate, load, build.

Each step takes the window of sessions it works on, so a daily run and a backfill chunk share them.
"""

import datetime as dt
import logging

from hk_market import DATASETS, calendar, landing, quality, reference, sources, transform, warehouse

log = logging.getLogger(__name__)


class NotATradingDay(Exception):
    """The requested day is not an HKEX session."""


def plan_window(day: dt.date) -> list[dt.date]:
    """The sessions a run for `day` loads: the day, plus the previous session if the warehouse lacks it.

    The look-back session makes the first run into an empty warehouse (or after a gap) complete:
    the short selling ratio's point change and the year to date need the session before.
    """
    if not calendar.is_session(day):
        raise NotATradingDay(f"{day} is not an HKEX trading day (XHKG calendar): nothing to do")
    previous = calendar.previous_session(day)
    with warehouse.connect() as con:
        warehouse.ensure_schema(con)
        loaded = warehouse.loaded_sessions(con, previous, previous)
    return [day] if previous in loaded else [previous, day]


def extract(dataset: str, sessions: list[dt.date], source: str | None = None, full_market: bool = False) -> int:
    """Fetch, parse and land the dataset for the sessions; returns the rows landed."""
    frame = sources.extract(dataset, sessions, source, full_market)
    landing.write(dataset, frame, sessions)
    log.info("%s: landed %d rows for %s..%s", dataset, len(frame), sessions[0], sessions[-1])
    return len(frame)


def validate(dataset: str, sessions: list[dt.date], run_id: str) -> dict:
    """Validate the landed rows; record outcomes and quarantine failing rows; raise if any is critical."""
    frame = landing.read(dataset, sessions)
    expected = calendar.southbound_sessions(min(sessions), max(sessions)) if dataset == "southbound" else None
    report = quality.validate(dataset, frame, sessions, expected_sessions=expected)
    with warehouse.connect() as con:
        warehouse.ensure_schema(con)
        with warehouse.transaction(con):
            warehouse.record_validation(con, report, run_id)
    quality.raise_for_failures(report)
    return {"rows": len(frame), "expectations": len(report.outcomes), "warnings": len(report.warnings)}


def load(sessions: list[dt.date], run_id: str, source: str | None = None) -> dict[str, int]:
    """Load reference data and every dataset's landed rows for the sessions in one transaction."""
    source = source or "sample"
    frames = {dataset: landing.read(dataset, sessions) for dataset in DATASETS}
    with warehouse.connect() as con:
        warehouse.ensure_schema(con)
        with warehouse.transaction(con):
            reference.load(con)
            rows = {dataset: warehouse.replace_window(con, dataset, frames[dataset], sessions, source, run_id)
                    for dataset in DATASETS}
    return rows


def build(sessions: list[dt.date]) -> dt.date:
    """Rebuild core and marts for the sessions (and the later days that depend on them)."""
    with warehouse.connect() as con:
        return transform.build_window(con, min(sessions), max(sessions))
