"""Everything that imports Airflow, and nothing else does: the DAGs' shared defaults and task decorator, the alerts,
`make airflow` (airflow_standalone), `make run` (run_days) and the UI page (web)."""
