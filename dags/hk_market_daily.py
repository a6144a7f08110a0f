"""
### hk_market_daily: one Hong Kong trading day into the DuckDB warehouse

Produces the day's rows in `raw.*`, `core.*` and the analyst marts (`marts.security_daily`,
`marts.market_summary`, `marts.southbound_daily`, `marts.sector_daily`, `marts.theme_daily`,
`marts.movers_daily`, `marts.macro_daily`) from four datasets: daily prices, HKEX short selling, Stock Connect
southbound flows, and the market's drivers (Bitcoin, the US dollar index, gold, USD/CNH from Yahoo Finance).

**When:** weekdays at 17:30 Asia/Hong_Kong, after the close. A day that is not an HKEX session
(exchange-calendars `XHKG`), or that HKEX's own page says had no trading (a typhoon closure), ends as
*skipped*; a day after today in Hong Kong fails in `plan`. The first
run into an empty warehouse also loads the previous session, so changes and point changes are right from
day one.

**Order of work:** plan the window → extract each dataset to Parquet landing (retries with
backoff) → validate each with Great Expectations (fails closed, no retry: failing rows go to
`audit.quarantine_<dataset>`) → `load` all datasets and build their core and marts in one transaction (a
day is never in `raw` without its marts; a day an earlier run left so is built too) → on `live`, replace the
estimated turnover of earlier sessions (up to 10 back) loaded before HKEX's Daily Quotations were out with
HKEX's and rebuild those sessions' core and marts in the same transaction, so their short selling ratios
become HKEX's (nothing to do on `sample`) → publish the analyst snapshot (`hk_market_analyst.duckdb`, replaced
atomically) and the day's market wrap (`reports/<date>.md` and `.html`) → log the day's summary from the
snapshot. Writers share the one-slot pool `duckdb_writer`.

**Source:** the Airflow Variable `hk_market_source` when set, else `HK_MARKET_SOURCE`: `sample` (the
default, the embedded offline market) or `live` (Yahoo Finance and HKEX; a day whose files are not out
yet retries, bad data fails at once). `plan` reads it once per run; a change takes effect from the next run.

**Backfill:** unpause the DAG, then `airflow backfill create --dag-id hk_market_daily --from-date 2024-11-01
--to-date 2024-11-14T17:30:00+08:00` (a bare `--to-date` is midnight UTC and would leave out that day's
17:30 HKT run); re-running a day replaces that day and leaves every mart identical. For long ranges use
`hk_market_backfill`.

**Alerts:** a failed task logs one line (`hk-market task failed: dag=… task=… day=… cause=…`, logger
`hk_market.alerts`); a run not finished within 90 minutes of being queued (19:00 HKT for the 17:30 scheduled
run) logs `hk-market deadline missed: …` from the triggerer. Both are e-mailed through the Airflow connection
`hk_market_alerts` when it exists (docs/operations.md).

**Who to call:** the hk-market data engineering team (owner `hk-market`).
"""

import datetime as dt

from airflow.sdk import AsyncCallback, CronTriggerTimetable, DeadlineAlert, DeadlineReference, dag, task
from airflow.sdk.exceptions import AirflowSkipException

from hk_market import DATASETS
from hk_market.alerts import log_deadline_missed
from hk_market.dag_defaults import (
    DEFAULT_ARGS,
    EXTRACT_RETRIES,
    HK_TZ,
    WRITER_POOL,
    mart_assets,
    session_days,
    trade_day,
)

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
    @task(pool=WRITER_POOL)
    def plan(logical_date=None) -> dict:
        """The run's window: its source, read once here so that every task of the run uses the same one; the
        sessions to load: the day, and the previous session if the warehouse lacks it; and the earlier sessions
        whose turnover was estimated before HKEX published its own, to replace with HKEX's."""
        from hk_market import pipeline
        from hk_market.dag_defaults import airflow_source, use_airflow_warehouse

        use_airflow_warehouse()
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

    @task(pool=WRITER_POOL, retries=0)
    def validate(dataset: str, window: dict, run_id=None) -> dict:
        from hk_market import pipeline
        from hk_market.dag_defaults import use_airflow_warehouse

        use_airflow_warehouse()
        return pipeline.validate(dataset, session_days(window["sessions"]), run_id, source=window["source"])

    @task(pool=WRITER_POOL)
    def load(window: dict, run_id=None) -> dict:
        """Load the sessions and build their core and marts, in one transaction."""
        from hk_market import pipeline
        from hk_market.dag_defaults import use_airflow_warehouse

        use_airflow_warehouse()
        return pipeline.load(session_days(window["sessions"]), run_id, window["source"])

    @task(pool=WRITER_POOL, retries=0, outlets=MARTS)
    def refresh_turnover(window: dict) -> int:
        """Give the earlier sessions plan found with estimated turnover HKEX's, now that it is out, and rebuild
        their marts in the same transaction (best effort: what is not out yet stays flagged for the next run)."""
        from hk_market import pipeline
        from hk_market.dag_defaults import use_airflow_warehouse

        use_airflow_warehouse()
        return pipeline.refresh_turnover(session_days(window["refresh"]), window["source"])

    @task(pool=WRITER_POOL)
    def publish(window: dict) -> dict:
        """Replace the analyst snapshot atomically; write each session's wrap to reports/."""
        from hk_market import pipeline
        from hk_market.dag_defaults import use_airflow_warehouse

        use_airflow_warehouse()
        return pipeline.publish(session_days(window["refresh"] + window["sessions"]))

    @task
    def summarise(window: dict) -> str:
        """The day's market summary from the analyst snapshot, in the task log and as the return value."""
        import logging

        from hk_market import report, settings
        from hk_market.dag_defaults import use_airflow_warehouse

        use_airflow_warehouse()
        text = report.day_summary(dt.date.fromisoformat(window["sessions"][-1]), settings.analyst_database())
        logging.getLogger(__name__).info("%s", text)
        return text

    window = plan()
    loaded = load(window)
    landed = {dataset: extract.override(task_id=f"extract_{dataset}")(dataset, window) for dataset in DATASETS}
    checked = {dataset: validate.override(task_id=f"validate_{dataset}")(dataset, window) for dataset in DATASETS}
    for dataset in DATASETS:
        landed[dataset] >> checked[dataset] >> loaded
    landed["prices"] >> checked["short_selling"]  # short turnover is checked against the landed prices
    loaded >> refresh_turnover(window) >> publish(window) >> summarise(window)


hk_market_daily()
