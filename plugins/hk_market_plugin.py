"""Adds "HK Market" to the Airflow UI's navigation: a trading day's market wrap and mart tables (each as CSV too).

The page is a small FastAPI app (hk_market.airflow_glue.web) mounted on the API server at /hk-market/; the nav
entry shows it inside the UI at /plugin/hk-market. It reads the analyst snapshot, never the live
warehouse, and only for users signed in to Airflow.
"""

from airflow.plugins_manager import AirflowPlugin

from hk_market.airflow_glue.web import app


class HkMarketPlugin(AirflowPlugin):
    name = "hk_market"
    fastapi_apps = [{"app": app, "url_prefix": "/hk-market", "name": "HK Market"}]
    external_views = [{"name": "HK Market", "href": "/hk-market/", "url_route": "hk-market", "destination": "nav"}]
