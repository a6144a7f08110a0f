"""The steps of a run, as the DAGs call them: plan, extract, validate, load, build, publish.

Each step takes the window of sessions it works on, so a daily run and a backfill chunk share them.
"""

import datetime as dt
import logging

import duckdb
import pandas as pd

from hk_market import (
    calendar,
    data_docs_site,
    expectations,
    fetch,
    landing,
    reference,
    registry,
    rules,
    settings,
    snapshot,
    transform,
    universe,
    warehouse,
)
from hk_market.hkex.pages import DailyQuotations
from hk_market.publish import wrap
from hk_market.sources.errors import NoTradingDay, SourceDataError, SourceUnavailable

log = logging.getLogger(__name__)
TURNOVER_LOOKBACK = 10  # sessions a daily run looks back for estimated turnover to refresh


class NotATradingDay(Exception):
    """The requested day is not an HKEX session."""


def plan_window(day: dt.date, today: dt.date | None = None) -> list[dt.date]:
    """The sessions a run for `day` loads: the day, plus the previous session if the warehouse lacks it.

    The look-back session makes the first run into an empty warehouse (or after a gap) complete:
    the short selling ratio's point change and the year to date need the session before. A day after
    today in Hong Kong is refused: no market has traded it yet (the sample source would invent it).
    Days loaded before without their marts are built by the load (see load()).
    """
    today = today or dt.datetime.now(settings.HK_TZ).date()
    if day > today:
        raise ValueError(f"{day} is in the future (today in Hong Kong is {today}): no session to load yet")
    if not calendar.is_session(day):
        raise NotATradingDay(f"{day} is not an HKEX trading day (XHKG calendar): nothing to do")
    previous = calendar.previous_session(day)
    with warehouse.connected() as con:
        loaded = warehouse.loaded_sessions(con, previous, previous)
    return [day] if previous in loaded else [previous, day]


def estimated_turnover(before: dt.date, source: str | None = None) -> list[dt.date]:
    """The sessions, among the TURNOVER_LOOKBACK before `before`, whose prices the source loaded with every
    turnover estimated (HKEX's Daily Quotations were not out yet: a live run at 17:30). A source whose
    turnover comes with its prices (the sample) has none."""
    if not fetch.publishes_turnover_late(source):
        return []
    last = calendar.previous_session(before)
    first = calendar.sessions(before - dt.timedelta(days=3 * TURNOVER_LOOKBACK), last)[-TURNOVER_LOOKBACK:][0]
    with warehouse.connected() as con:
        rows = con.execute(
            "select trade_date from raw.prices where source = $source and trade_date between $first and $last "
            "and turnover_hkd is not null group by trade_date having bool_and(turnover_estimated) order by 1",
            {"source": settings.source_name(source), "first": first, "last": last}).fetchall()
    return [day for (day,) in rows]


def refresh_turnover(sessions: list[dt.date], source: str | None = None) -> int:
    """Replace the sessions' estimated turnover with HKEX's, where its Daily Quotations are out now, and rebuild
    their core and marts in the same transaction; returns the sessions changed. Nothing else of those sessions is
    touched (no prices downloaded again). A printed figure outside the stock's volume x [low, high] is not
    applied: its estimate stays, named in a warning. Best effort: a page not out or unreadable is logged and its
    session left flagged for the next run, which tries again."""
    if not sessions:
        return 0
    try:
        published = fetch.published_turnover(sessions, source)
    except (SourceUnavailable, SourceDataError, NoTradingDay) as error:
        log.warning("turnover of %s stays estimated for now: %s", calendar.describe_days(sessions), error)
        return 0

    def replace() -> tuple[list[dt.date], list[tuple[dt.date, str]]]:
        changed, rejected = warehouse.replace_estimated_turnover(
            con, published, settings.source_name(source), rules.TURNOVER_PRICE_TOLERANCE_PCT)
        for first, last in _runs(changed):
            transform.build_window(con, first, last)
        return changed, rejected

    with warehouse.connected() as con:
        changed, rejected = warehouse.committed(con, replace)
    if rejected:
        shown = ", ".join(f"{code} on {day}" for day, code in rejected[:5])
        log.warning("daily_quotations: %d printed turnovers lie outside volume x the day's range and were not "
                    "applied (estimate kept): %s", len(rejected), shown)
    log.info("turnover of %s: HKEX's figures replaced the estimates of %s", calendar.describe_days(sessions),
             calendar.describe_days(changed))
    return len(changed)


def extract(dataset: str, sessions: list[dt.date], source: str | None = None,
            pages: DailyQuotations | None = None) -> int:
    """Fetch, parse and land the dataset for the sessions; returns the rows landed. pages: the live Daily
    Quotations the datasets of one extract share (fetch.landing_frame)."""
    return len(extract_frame(dataset, sessions, source, pages))


def extract_frame(dataset: str, sessions: list[dt.date], source: str | None = None,
                  pages: DailyQuotations | None = None) -> pd.DataFrame:
    """extract(), returning the rows landed (what landing.read() would give back, without reading it)."""
    try:
        frame = fetch.landing_frame(dataset, sessions, source, settings.sample_full_market(), pages)
        stray = sorted(set(pd.DatetimeIndex(frame["trade_date"].unique()).date) - set(sessions))
        if stray:  # landing keeps only the sessions' rows: say what came instead
            raise ValueError(f"the source sent rows for {', '.join(map(str, stray[:5]))}, not a requested session")
    except ValueError as error:  # unreadable or wrong input: name the dataset and the days
        cause = str(error).removeprefix(f"{dataset}: ")
        raise SourceDataError(f"{dataset} {calendar.describe_days(sessions)}: {cause}") from error
    landing.write(dataset, frame, sessions, source)
    log.info("%s: landed %d rows for %s..%s", dataset, len(frame), sessions[0], sessions[-1])
    return frame


def validate(dataset: str, sessions: list[dt.date], run_id: str, frame: pd.DataFrame | None = None,
             prices: pd.DataFrame | None = None, data_docs: bool = True, source: str | None = None,
             con: duckdb.DuckDBPyConnection | None = None) -> dict:
    """Validate the rows landed from the source (or the given frame of them); record outcomes and quarantine
    failing rows; raise if any critical expectation failed. Short selling is checked against the sessions' prices
    (given, else landed, else loaded); prices' prev_close against the closes loaded for the session before. A Data
    Docs page is rendered when data_docs is set or the validation failed (bulk backfills render only their
    failures). con: a warehouse connection to record with, else one is opened."""
    checks = registry.dataset(dataset)
    frame = landing.read(dataset, sessions, source) if frame is None else frame
    expected = calendar.southbound_sessions(min(sessions), max(sessions)) if checks.southbound_sessions else None
    if checks.prices_checked and prices is None:
        prices = _landed_or_loaded_prices(sessions, source)
    history = _loaded_closes(min(sessions), source, con) if checks.history_checked else None
    report = expectations.validate(dataset, frame, sessions, expected_sessions=expected,
                              universe_size=len(reference.securities()),
                              prices=prices if checks.prices_checked else None, history=history)
    with warehouse.connected(con) as con:
        warehouse.committed(con, lambda: warehouse.record_validation(con, report, run_id))
    if data_docs or not report.success:
        log.info("%s; Data Docs: %s", report.summary, data_docs_site.build(report, run_id) or "not updated")
    else:
        log.info("%s; Data Docs: none (a bulk chunk documents its failures only)", report.summary)
    expectations.raise_for_failures(report)
    return {"rows": len(frame), "expectations": len(report.outcomes), "warnings": len(report.warnings)}


def _loaded_closes(first: dt.date, source: str | None, con: duckdb.DuckDBPyConnection | None) -> pd.DataFrame:
    """The closes the source's prices of the session before `first` were loaded with (none if not loaded): each
    stock's prev_close on `first` must agree with them."""
    if first == calendar.hk_calendar().first_session.date():
        return pd.DataFrame(columns=["trade_date", "stock_code", "close"])
    with warehouse.connected(con) as con:
        return con.execute(
            "select trade_date::timestamp_s as trade_date, stock_code, close from raw.prices "
            "where trade_date = $previous and source = $source",
            {"previous": calendar.previous_session(first), "source": settings.source_name(source)}).df()


def _landed_or_loaded_prices(sessions: list[dt.date], source: str | None) -> pd.DataFrame:
    """The sessions' volume, high and low, which bound each stock's short shares and short turnover: landed from the
    source, else loaded from it in the warehouse (a backfill of short selling alone). Without them the bounds would
    pass unchecked, so sessions with neither fail, named."""
    priced = landing.landed("prices", sessions, source)
    columns = ["trade_date", "stock_code", "volume", "high", "low"]
    frames = [landing.read("prices", priced, source)[columns]] if priced else []
    unpriced = sorted(set(sessions) - set(priced))
    if unpriced:
        with warehouse.connected() as con:
            loaded = con.execute(
                "select trade_date::timestamp_s as trade_date, stock_code, volume, high, low from raw.prices "
                "where list_contains($days, trade_date) and source = $source",
                {"days": unpriced, "source": settings.source_name(source)}).df()
        absent = sorted(set(unpriced) - set(loaded["trade_date"].dt.date))
        if absent:
            raise SourceDataError(f"short_selling {calendar.describe_days(absent)}: no prices landed or loaded "
                                  "to check short turnover against; extract or backfill prices for it first")
        frames.append(loaded)
    return pd.concat(frames, ignore_index=True)


def load(sessions: list[dt.date], run_id: str, source: str | None = None, datasets: tuple[str, ...] = registry.NAMES,
         frames: dict[str, pd.DataFrame] | None = None, con: duckdb.DuckDBPyConnection | None = None
         ) -> dict[str, int]:
    """Load reference data and the datasets' rows landed from the source (or the given frames) for the sessions,
    and build their core and marts, in one transaction (on con, if given): a day is in raw only with its marts.
    Each table's sessions are deleted and its rows inserted in one set-based statement. Days an earlier run
    left in raw without marts (a warehouse from before loads built, or one changed by hand) are built too."""
    source = settings.source_name(source)
    frames = frames or landing.read_datasets(datasets, sessions, source)
    def replace() -> dict[str, int]:
        _replace_reference(con, source)
        rows = {dataset: warehouse.replace_window(con, dataset, frames[dataset], sessions, source, run_id)
                for dataset in datasets}
        unbuilt = sorted(set(warehouse.unbuilt_sessions(con)) - set(sessions))
        if unbuilt:
            log.warning("building %s, loaded earlier without their marts", calendar.describe_days(unbuilt))
        for first, last in [(min(sessions), max(sessions)), *_runs(unbuilt)]:
            transform.build_window(con, first, last)
        return rows

    with warehouse.connected(con) as con:
        return warehouse.committed(con, replace)


def load_reference(source: str | None = None) -> int:
    """Reload the warehouse's reference tables from the source's universe in one transaction; returns its size."""
    with warehouse.connected() as con:
        warehouse.committed(con, lambda: _replace_reference(con, source))
    return len(universe.securities(source))


def _replace_reference(con: duckdb.DuckDBPyConnection, source: str | None) -> None:
    """Replace the warehouse's reference tables with the seeds, the source's landed List of Securities (securities
    HKEX lists that the seeds lack join them once hk_market_reference has landed it) and the calendar; call in a
    transaction."""
    warehouse.replace_table(con, "core.securities", universe.loaded_securities(source))
    warehouse.replace_table(con, "core.indices", reference.indices())
    warehouse.replace_table(con, "core.index_constituents", reference.index_constituents())
    warehouse.replace_table(con, "core.security_groups", reference.security_groups(universe.securities(source)))
    warehouse.replace_table(con, "core.trading_calendar", reference.trading_calendar())


def _runs(sessions: list[dt.date]) -> list[tuple[dt.date, dt.date]]:
    """The sorted sessions as (first, last) runs of consecutive sessions, so each run is built alone."""
    runs = []
    for day in sessions:
        if runs and calendar.previous_session(day) == runs[-1][1]:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


def build(sessions: list[dt.date]) -> dt.date | None:
    """Rebuild core and marts for the sessions (and the later days that depend on them) in one transaction;
    returns the marts' last day rebuilt, None for no sessions."""
    if not sessions:
        return None
    with warehouse.connect() as con:
        return warehouse.committed(con, lambda: transform.build_window(con, min(sessions), max(sessions)))


def publish(sessions: list[dt.date]) -> dict:
    """Publish the analyst snapshot (on a DuckLake, the lake itself: nothing to copy), then write each session's
    market wrap from it."""
    published = snapshot.publish()
    reports = wrap.write_reports(sessions, published)
    log.info("published %s and %d reports in %s", settings.display_name(published), len(reports),
             settings.reports_dir())
    return {"snapshot": settings.display_name(published), "reports": [str(path) for path in reports]}
