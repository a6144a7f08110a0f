"""
### hk_market_daily: one Hong Kong trading day into the DuckDB warehouse

Loads the day's prices, HKEX short selling, Stock Connect southbound flows and the market's drivers (Bitcoin,
the US dollar index, gold, USD/CNH) into `raw`, `core` and the analyst marts, then publishes the analyst snapshot
and the day's market wrap. Runs weekdays at 17:30 Asia/Hong_Kong; a day that is not an HKEX session ends as *skipped*.

**Order of work:** plan → extract → validate (Great Expectations, fails closed) → load and build the marts
(one transaction) → refresh_turnover (live only) → publish → summarise. Writers share the pool `duckdb_writer`.

**Source:** the Variable `hk_market_source`, else `HK_MARKET_SOURCE`: `sample` (default, offline) or `live`.

**Backfill:** unpause, then `airflow backfill create --dag-id hk_market_daily …`; long ranges: `hk_market_backfill`.

**Docs:** `docs/daily-run.md`, `docs/backfills.md`, `docs/operations.md` (alerts, settings), `docs/querying.md`.
**Who to call:** the hk-market data engineering team (owner `hk-market`).
"""

import datetime as dt

from airflow.sdk import AsyncCallback, CronTriggerTimetable, DeadlineAlert, DeadlineReference, dag, task
from airflow.sdk.exceptions import AirflowSkipException

from hk_market.airflow_glue.alerts import log_deadline_missed
from hk_market.airflow_glue.dag_defaults import (
    DEFAULT_ARGS,
    EXTRACT_RETRIES,
    HK_TZ,
    WRITER_POOL,
    mart_assets,
    session_days,
    trade_day,
    warehouse_task,
)
from hk_market.registry import DATASETS, NAMES

MARTS = mart_assets()


@dag(
    dag_id="hk_market_daily",
    schedule=CronTriggerTimetable("30 17 * * 1-5", timezone="Asia/Hong_Kong"),
    start_date=dt.datetime(2024, 1, 1, tzinfo=HK_TZ),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    # A run is due 90 minutes after it is queued: 19:00 HKT for the 17:30 scheduled run; a past day run now
    # (make run, a manual trigger) is not late for its logical date. The UI rounds 90 minutes to "2 hours"
    # in its rule text; the name says it exactly.
    deadline=DeadlineAlert(reference=DeadlineReference.DAGRUN_QUEUED_AT, interval=dt.timedelta(minutes=90),
                           callback=AsyncCallback(log_deadline_missed), name="loaded within 90 minutes of queueing"),
    tags=["hk-market", "daily"],
    doc_md=__doc__,
)
def hk_market_daily():
    @warehouse_task(pool=WRITER_POOL)
    def plan(logical_date=None) -> dict:
        """The run's window: its source, read once here so that every task of the run uses the same one; the
        sessions to load: the day, and the previous session if the warehouse lacks it; and the earlier sessions
        whose turnover was estimated before HKEX published its own, to replace with HKEX's."""
        from hk_market import pipeline
        from hk_market.airflow_glue.dag_defaults import airflow_source

        try:
            sessions = pipeline.plan_window(trade_day(logical_date))
        except pipeline.NotATradingDay as skip:
            raise AirflowSkipException(str(skip)) from skip
        source = airflow_source()
        refresh = pipeline.estimated_turnover(sessions[0], source)
        return {"source": source, "sessions": [day.isoformat() for day in sessions],
                "refresh": [day.isoformat() for day in refresh]}

    @task(**EXTRACT_RETRIES)
    def extract(dataset: str, window: dict) -> int:
        from hk_market import pipeline
        from hk_market.sources.errors import NoTradingDay

        try:
            return pipeline.extract(dataset, session_days(window["sessions"]), window["source"])
        except NoTradingDay as closed:
            raise AirflowSkipException(str(closed)) from closed

    @warehouse_task(pool=WRITER_POOL, retries=0)
    def validate(dataset: str, window: dict, run_id=None) -> dict:
        from hk_market import pipeline

        return pipeline.validate(dataset, session_days(window["sessions"]), run_id, source=window["source"])

    @warehouse_task(pool=WRITER_POOL)
    def load(window: dict, run_id=None) -> dict:
        """Load the sessions and build their core and marts, in one transaction."""
        from hk_market import pipeline

        return pipeline.load(session_days(window["sessions"]), run_id, window["source"])

    @warehouse_task(pool=WRITER_POOL, retries=0, outlets=MARTS)
    def refresh_turnover(window: dict) -> int:
        """Give the earlier sessions plan found with estimated turnover HKEX's, now that it is out, and rebuild
        their marts in the same transaction (best effort: what is not out yet stays flagged for the next run)."""
        from hk_market import pipeline

        return pipeline.refresh_turnover(session_days(window["refresh"]), window["source"])

    @warehouse_task(pool=WRITER_POOL)
    def publish(window: dict) -> dict:
        """Replace the analyst snapshot atomically; write each session's wrap to reports/."""
        from hk_market import pipeline

        return pipeline.publish(session_days(window["refresh"] + window["sessions"]))

    @warehouse_task()
    def summarise(window: dict) -> str:
        """The day's market summary from the analyst snapshot, in the task log and as the return value."""
        import logging

        from hk_market import settings
        from hk_market.publish import report

        text = report.day_summary(dt.date.fromisoformat(window["sessions"][-1]), settings.analyst_database())
        logging.getLogger(__name__).info("%s", text)
        return text

    window = plan()
    loaded = load(window)
    landed = {dataset: extract.override(task_id=f"extract_{dataset}")(dataset, window) for dataset in NAMES}
    checked = {dataset: validate.override(task_id=f"validate_{dataset}")(dataset, window) for dataset in NAMES}
    for dataset in NAMES:
        landed[dataset] >> checked[dataset] >> loaded
        if DATASETS[dataset].prices_checked:  # e.g. short turnover is checked against the landed prices
            landed["prices"] >> checked[dataset]
    loaded >> refresh_turnover(window) >> publish(window) >> summarise(window)


hk_market_daily()
