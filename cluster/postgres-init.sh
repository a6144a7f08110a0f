#!/usr/bin/env bash
# docker-compose.yaml's Postgres runs this once, on its first start (/docker-entrypoint-initdb.d/): it creates
# Airflow's metadata database and the DuckLake catalog database, with their roles, from cluster/databases.sql.
set -euo pipefail
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
  -v airflow_password="$AIRFLOW_DB_PASSWORD" -v lake_password="$HK_MARKET_LAKE_PASSWORD" \
  -f /opt/hk-market/databases.sql
