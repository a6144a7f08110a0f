"""
### hk_market_backfill: a range of Hong Kong trading days in bulk

For months to years, where one `hk_market_daily` run per day would be slow: the range's HKEX sessions in
chunks (one mapped task group each), every chunk extracted in one batch per dataset, validated, and loaded
with its core and marts in one transaction; then the analyst snapshot is published. Running a range again
changes nothing.

**Params:** `start`, `end` (YYYY-MM-DD, checked first), `datasets` (default all four: prices, short selling,
southbound, macro), `refetch` (default false), `chunk_sessions` (default 250, about a year).

**Run it:** `make backfill START=2024-01-02 END=2024-11-14`, or trigger with those params from the UI.

**Docs:** `docs/backfills.md`. **Who to call:** the hk-market data engineering team (owner `hk-market`).
"""

import datetime as dt

from airflow.sdk import Param, dag, task, task_group

from hk_market.airflow_glue.dag_defaults import (
    DEFAULT_ARGS,
    EXTRACT_RETRIES,
    WRITER_POOL,
    mart_assets,
    session_days,
    warehouse_task,
)
from hk_market.registry import NAMES


@dag(
    dag_id="hk_market_backfill",
    schedule=None,
    start_date=dt.datetime(2024, 1, 1),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    params={
        "start": Param(type="string", format="date", description="first day, YYYY-MM-DD"),
        "end": Param(type="string", format="date", description="last day, YYYY-MM-DD"),
        "datasets": Param(list(NAMES), type="array", items={"type": "string", "enum": list(NAMES)}),
        "refetch": Param(False, type="boolean", description="fetch again even where files are landed"),
        "chunk_sessions": Param(250, type="integer", minimum=1, maximum=2500),
    },
    tags=["hk-market", "backfill"],
    doc_md=__doc__,
)
def hk_market_backfill():
    @task(retries=0)
    def plan(params=None) -> list[dict]:
        """Check the params, then split the range's sessions into numbered chunks, each with the run's source
        (read once here, so that every chunk uses the same one)."""
        from hk_market import backfill
        from hk_market.airflow_glue.dag_defaults import airflow_source

        sessions = backfill.check_range(params["start"], params["end"])
        backfill.check_datasets(params["datasets"])
        parts, source = backfill.chunks(sessions, params["chunk_sessions"]), airflow_source()
        return [{"number": n, "of": len(parts), "source": source, "sessions": [day.isoformat() for day in part]}
                for n, part in enumerate(parts, start=1)]

    @task_group
    def chunk(part: dict):
        @task(**EXTRACT_RETRIES)
        def extract_chunk(part: dict, params=None) -> dict:
            import logging

            from hk_market import backfill

            rows = backfill.extract_chunk(session_days(part["sessions"]), backfill.check_datasets(params["datasets"]),
                                          params["refetch"], part["source"])
            logging.getLogger(__name__).info("chunk %d of %d: extracted %s (None: landed files reused)",
                                             part["number"], part["of"], rows)
            return rows

        @warehouse_task(pool=WRITER_POOL, retries=0)
        def load_chunk(part: dict, params=None, run_id=None) -> dict:
            import logging

            from hk_market import backfill

            rows = backfill.load_chunk(session_days(part["sessions"]), backfill.check_datasets(params["datasets"]),
                                       run_id, part["source"])
            logging.getLogger(__name__).info("chunk %d of %d: loaded %s", part["number"], part["of"], rows)
            return rows

        extract_chunk(part) >> load_chunk(part)

    @warehouse_task(pool=WRITER_POOL, outlets=mart_assets())
    def publish(parts: list[dict]) -> dict:
        from hk_market import pipeline

        return pipeline.publish(session_days([parts[-1]["sessions"][-1]]))

    parts = plan()
    chunk.expand(part=parts) >> publish(parts)


hk_market_backfill()
