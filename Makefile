# hk-market: every target installs what it needs into .venv/ first.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV := $(BIN)/uv
UV_VERSION := 0.13.8
PROJECT := $(CURDIR)
FROM ?= 2024-11-01
TO ?= 2024-11-14

# Airflow runs from a project-local home with the project's DAGs, no examples,
# and a duckdb_default connection pointing at the warehouse.
export AIRFLOW_HOME ?= $(PROJECT)/.airflow
export AIRFLOW__CORE__DAGS_FOLDER := $(PROJECT)/dags
export AIRFLOW__CORE__PLUGINS_FOLDER := $(PROJECT)/plugins
export AIRFLOW__CORE__LOAD_EXAMPLES := False
export AIRFLOW__CORE__UNIT_TEST_MODE := False
export HK_MARKET_WAREHOUSE ?= $(PROJECT)/warehouse/hk_market.duckdb
export HK_MARKET_LANDING ?= $(PROJECT)/landing
export HK_MARKET_SOURCE ?= sample
export HK_MARKET_SNAPSHOT ?= $(PROJECT)/warehouse/hk_market_analyst.duckdb
export HK_MARKET_REPORTS ?= $(PROJECT)/reports
export AIRFLOW_CONN_DUCKDB_DEFAULT ?= {"conn_type": "duckdb", "host": "$(HK_MARKET_WAREHOUSE)"}

.PHONY: install install-dev run test test-airflow-services lint lock airflow-db airflow dictionary sql clean backfill bench cluster cluster-stop test-cluster

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(UV): $(BIN)/python
	$(BIN)/python -m pip install --quiet "uv==$(UV_VERSION)"

# --compile-bytecode: uv skips it by default, and where PYTHONDONTWRITEBYTECODE is set (as here) every
# process would recompile Airflow and Great Expectations from source on import: seconds per task and test.
$(VENV)/.installed: requirements.txt constraints.txt pyproject.toml | $(UV)
	VIRTUAL_ENV=$(VENV) $(UV) pip install --quiet --compile-bytecode -r requirements.txt -c constraints.txt
	VIRTUAL_ENV=$(VENV) $(UV) pip install --quiet --compile-bytecode --no-deps -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	VIRTUAL_ENV=$(VENV) $(UV) pip install --quiet --compile-bytecode -r requirements-dev.txt -c constraints.txt
	touch $@

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

# Airflow's metadata database (SQLite under .airflow/) and the DuckDB writer pool.
$(AIRFLOW_HOME)/.ready: $(VENV)/.installed
	mkdir -p $(AIRFLOW_HOME)
	$(BIN)/airflow db migrate > $(AIRFLOW_HOME)/db-migrate.log 2>&1 || (tail -20 $(AIRFLOW_HOME)/db-migrate.log; exit 1)
	$(BIN)/airflow pools set duckdb_writer 1 "One DuckDB writer at a time" > /dev/null
	touch $@

airflow-db: $(AIRFLOW_HOME)/.ready

# The UI's login (simple auth manager): user admin, with a password generated once into AIRFLOW_HOME.
AIRFLOW_PORT ?= 8080
AIRFLOW_PASSWORDS := $(AIRFLOW_HOME)/simple_auth_manager_passwords.json.generated

$(AIRFLOW_PASSWORDS): | $(VENV)/.installed
	mkdir -p $(AIRFLOW_HOME)
	$(BIN)/python -c 'import json, secrets; print(json.dumps({"admin": secrets.token_urlsafe(12)}))' > $@

## airflow: the Airflow UI on localhost (airflow standalone: api-server, scheduler, dag-processor, triggerer); Ctrl-C or SIGTERM stops all of it
airflow: $(AIRFLOW_HOME)/.ready $(AIRFLOW_PASSWORDS)
	@echo "Airflow UI: http://localhost:$(AIRFLOW_PORT)   login: admin / $$($(BIN)/python -c 'import json, sys; print(json.load(open(sys.argv[1]))["admin"])' $(AIRFLOW_PASSWORDS))"
	@echo "DAGs: $(AIRFLOW__CORE__DAGS_FOLDER)   source: $(HK_MARKET_SOURCE)   warehouse: $(HK_MARKET_WAREHOUSE)   pool: duckdb_writer (1 slot)"
	PATH="$(CURDIR)/$(BIN):$$PATH" AIRFLOW__API__HOST=127.0.0.1 AIRFLOW__API__PORT=$(AIRFLOW_PORT) \
		AIRFLOW__API__BASE_URL=http://localhost:$(AIRFLOW_PORT) \
		AIRFLOW__CORE__EXECUTION_API_SERVER_URL=http://localhost:$(AIRFLOW_PORT)/execution/ $(BIN)/python -m hk_market.airflow_glue.airflow_standalone

## run: the daily DAG through Airflow on the sample source for FROM..TO, then the day's summary
run: $(AIRFLOW_HOME)/.ready
	$(BIN)/python -m hk_market.airflow_glue.run_days --from $(FROM) --to $(TO)

## test: lint, the import contracts (.importlinter), the SQL lint (.sqlfluff) and the whole test suite; the Celery cluster's test in a pytest
## process of its own (its in-process Airflow must not share one with the DAG tests')
test: $(VENV)/.installed-dev $(VENV)/.installed-sql
	$(BIN)/ruff check dags include plugins tests bench cluster
	$(BIN)/lint-imports --no-cache
	$(BIN)/sqlfluff lint include/sql
	$(BIN)/python -m pytest
	$(BIN)/python -m pytest -m cluster tests/cluster

# The SQL shells: harlequin, and DuckDB's own CLI (.venv/bin/duckdb, from the duckdb-cli wheel), on the
# project's DuckDB 1.5.5.
$(VENV)/.installed-sql: $(VENV)/.installed requirements-sql.txt
	VIRTUAL_ENV=$(VENV) $(UV) pip install --quiet --compile-bytecode -r requirements-sql.txt -c constraints.txt
	touch $@

## sql: an interactive SQL session (harlequin, read-only) on the analyst snapshot; safe while runs write. The marts
## are there as loaded, and as readable.<mart> views (prices, percentages, HK$ m to fixed places); readable.sessions
## names each session's source (docs/querying.md)
sql: $(VENV)/.installed-sql
	@test -f "$(HK_MARKET_SNAPSHOT)" || (echo "no analyst snapshot at $(HK_MARKET_SNAPSHOT) yet: run \`make run\` first"; exit 1)
	@echo "DuckDB's CLI on the same file: $(BIN)/duckdb -readonly $(HK_MARKET_SNAPSHOT)"
	$(BIN)/harlequin --adapter duckdb --read-only "$(HK_MARKET_SNAPSHOT)"

## dictionary: regenerate docs/data-dictionary.md from the models' YAML (include/sql/marts/*.yml) and the quality suites
dictionary: $(VENV)/.installed
	$(BIN)/python -m hk_market.dictionary > docs/data-dictionary.md

## test-airflow-services: airflow backfill create under a real scheduler, dag-processor and API server
test-airflow-services: $(VENV)/.installed-dev
	$(BIN)/python -m pytest -m airflow_services

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check dags include plugins tests bench cluster

## lock: re-resolve constraints.txt from requirements*.txt (needs the package index)
lock: $(UV)
	$(UV) pip compile --quiet requirements.txt requirements-dev.txt requirements-sql.txt -o constraints.txt --no-header --python-version 3.11

clean:
	rm -rf $(VENV) $(AIRFLOW_HOME) warehouse landing

## backfill: the bulk backfill DAG through Airflow for START..END (YYYY-MM-DD)
backfill: $(AIRFLOW_HOME)/.ready
	@test -n "$(START)" -a -n "$(END)" || (echo "usage: make backfill START=YYYY-MM-DD END=YYYY-MM-DD"; exit 2)
	$(BIN)/airflow dags test hk_market_backfill -c '{"start": "$(START)", "end": "$(END)"}'

## bench: full sample market x 10 years through the library and through Airflow, with the DuckDB floor
bench: $(VENV)/.installed
	$(BIN)/python bench/backfill_bench.py

## cluster: a Celery cluster here: Postgres (Airflow's metadata + the DuckLake catalog), Redis, scheduler, dag-processor,
## triggerer, api-server, two workers; the warehouse on DuckLake (docs/production.md). `make cluster-stop` stops it
cluster: $(VENV)/.installed
	$(BIN)/python cluster/cluster.py start --airflow-port $(AIRFLOW_PORT)

cluster-stop:
	$(PYTHON) cluster/cluster.py stop

## test-cluster: two daily runs and a month's backfill through the cluster's REST API, checked against a file warehouse
test-cluster: $(VENV)/.installed-dev
	$(BIN)/python -m pytest -m cluster tests/cluster
