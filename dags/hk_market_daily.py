"""
### hk_market_daily: one Hong Kong trading day into the DuckDB warehouse

Produces the day's rows in `raw.*`, `core.*` and the analyst marts (`marts.security_daily`,
`marts.market_summary`, `marts.southbound_daily`, `marts.sector_daily`, `marts.theme_daily`,
`marts.movers_daily`) from three datasets: daily prices, HKEX short selling, Stock Connect
southbound flows.

**When:** weekdays at 17:30 Asia/Hong_Kong, after the close. A day that is not an HKEX session
(exchange-calendars `XHKG`) ends as *skipped*. The first run into an empty warehouse also loads the
previous session, so changes and point changes are right from day one.

**Order of work:** plan the window → extract each dataset to Parquet landing (retries with
backoff) → validate each with Great Expectations (fails closed, no retry: failing rows go to
`audit.quarantine_<dataset>`) → load all datasets in one transaction → rebuild core and marts in one
transaction → log the day's summary. Writers share the one-slot pool `duckdb_writer`.

**Source:** `HK_MARKET_SOURCE` (default `sample`, the embedded offline market).

**Backfill:** `airflow backfill create --dag-id hk_market_daily --from-date 2024-11-01 --to-date 2024-11-14`;
re-running a day replaces that day and leaves every mart identical.

**Who to call:** the hk-market data engineering team (owner `hk-market`).
"""

import datetime as dt

from airflow.sdk import Asset, CronTriggerTimetable, dag, task
from airflow.sdk.exceptions import AirflowSkipException

from hk_market import DATASETS
from hk_market.dag_defaults import DEFAULT_ARGS, EXTRACT_RETRIES, HK_TZ, MART_TABLES, WRITER_POOL, trade_day

MARTS = [Asset(f"duckdb://hk_market/marts/{table}") for table in MART_TABLES]


@dag(
    dag_id="hk_market_daily",
    schedule=CronTriggerTimetable("30 17 * * 1-5", timezone="Asia/Hong_Kong"),
    start_date=dt.datetime(2024, 1, 1, tzinfo=HK_TZ),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["hk-market", "daily"],
    doc_md=__doc__,
)
def hk_market_daily():
    @task(pool=WRITER_POOL)
    def plan(logical_date=None) -> list[str]:
        """The sessions to load: the day, and the previous session if the warehouse lacks it."""
        from hk_market import pipeline
        from hk_market.dag_defaults import use_airflow_warehouse

        use_airflow_warehouse()
        try:
            return [day.isoformat() for day in pipeline.plan_window(trade_day(logical_date))]
        except pipeline.NotATradingDay as skip:
            raise AirflowSkipException(str(skip)) from skip

    @task(**EXTRACT_RETRIES)
    def extract(dataset: str, sessions: list[str]) -> int:
        from hk_market import pipeline

        return pipeline.extract(dataset, [dt.date.fromisoformat(day) for day in sessions])

    @task(pool=WRITER_POOL, retries=0)
    def validate(dataset: str, sessions: list[str], run_id=None) -> dict:
        from hk_market import pipeline
        from hk_market.dag_defaults import use_airflow_warehouse

        use_airflow_warehouse()
        return pipeline.validate(dataset, [dt.date.fromisoformat(day) for day in sessions], run_id)

    @task(pool=WRITER_POOL)
    def load(sessions: list[str], run_id=None) -> dict:
        from hk_market import pipeline, settings
        from hk_market.dag_defaults import use_airflow_warehouse

        use_airflow_warehouse()
        return pipeline.load([dt.date.fromisoformat(day) for day in sessions], run_id, settings.source_name())

    @task(pool=WRITER_POOL, outlets=MARTS)
    def build_marts(sessions: list[str]) -> str:
        from hk_market import pipeline
        from hk_market.dag_defaults import use_airflow_warehouse

        use_airflow_warehouse()
        return pipeline.build([dt.date.fromisoformat(day) for day in sessions]).isoformat()

    @task(pool=WRITER_POOL)
    def summarise(sessions: list[str]) -> str:
        """The day's market summary, in the task log and as the task's return value."""
        import logging

        from hk_market import report
        from hk_market.dag_defaults import use_airflow_warehouse

        use_airflow_warehouse()
        text = report.day_summary(dt.date.fromisoformat(sessions[-1]))
        logging.getLogger(__name__).info("%s", text)
        return text

    sessions = plan()
    loaded = load(sessions)
    for dataset in DATASETS:
        landed = extract.override(task_id=f"extract_{dataset}")(dataset, sessions)
        checked = validate.override(task_id=f"validate_{dataset}")(dataset, sessions)
        landed >> checked >> loaded
    built = build_marts(sessions)
    loaded >> built >> summarise(sessions)


hk_market_daily()
