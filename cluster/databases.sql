-- The two databases of the one Postgres server, idempotent (psql, with -v airflow_password=… -v lake_password=…):
-- `airflow`, Airflow's metadata (role airflow), and `hk_market_lake`, the DuckLake catalog (role hk_market).
-- Used by cluster/cluster.py on every start and by docker-compose.yaml's Postgres on its first start
-- (cluster/postgres-init.sh). Passwords are set again each time, so the caller's secrets stay the truth.
select 'create role airflow login' where not exists (select from pg_roles where rolname = 'airflow')\gexec
select 'create role hk_market login' where not exists (select from pg_roles where rolname = 'hk_market')\gexec
alter role airflow password :'airflow_password';
alter role hk_market password :'lake_password';
select 'create database airflow owner airflow'
where not exists (select from pg_database where datname = 'airflow')\gexec
select 'create database hk_market_lake owner hk_market'
where not exists (select from pg_database where datname = 'hk_market_lake')\gexec
