"""
### hk_market_reference: the securities universe, refreshed weekly

Produces `core.securities` and `core.security_groups`: the curated seeds (`include/seeds/`) plus every
equity, REIT and ETF on HKEX's List of Securities, a security without a curated sector as `Unclassified`.
Every `hk_market_daily` run reloads the reference tables from the same source's universe.

**When:** Saturdays at 08:00 Asia/Hong_Kong. **Source:** as `hk_market_daily`'s. **Backfill:** none (the
list is a snapshot of today); trigger a run to refresh it now.

**Docs:** `docs/sources.md`. **Who to call:** the hk-market data engineering team (owner `hk-market`).
"""

import datetime as dt

from airflow.sdk import CronTriggerTimetable, dag, task

from hk_market.airflow_glue.dag_defaults import DEFAULT_ARGS, EXTRACT_RETRIES, HK_TZ, WRITER_POOL, warehouse_task


@dag(
    dag_id="hk_market_reference",
    schedule=CronTriggerTimetable("0 8 * * 6", timezone="Asia/Hong_Kong"),
    start_date=dt.datetime(2024, 1, 1, tzinfo=HK_TZ),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["hk-market", "reference"],
    doc_md=__doc__,
)
def hk_market_reference():
    @task(**EXTRACT_RETRIES)
    def extract_list_of_securities() -> dict:
        """Fetch HKEX's List of Securities from the source and land it; returns the source and the count."""
        from hk_market import universe
        from hk_market.airflow_glue.dag_defaults import airflow_source

        source = airflow_source()
        return {"source": source, "securities": universe.extract(source)}

    @warehouse_task(pool=WRITER_POOL)
    def load_universe(extracted: dict) -> int:
        """Reload core.securities and core.security_groups from the seeds and the source's landed list."""
        from hk_market import pipeline

        return pipeline.load_reference(extracted["source"])

    load_universe(extract_list_of_securities())


hk_market_reference()
