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
export AIRFLOW_CONN_DUCKDB_DEFAULT ?= {"conn_type": "duckdb", "host": "$(HK_MARKET_WAREHOUSE)"}

.PHONY: install install-dev run test lint lock airflow-db dictionary clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(UV): $(BIN)/python
	$(BIN)/python -m pip install --quiet "uv==$(UV_VERSION)"

$(VENV)/.installed: requirements.txt constraints.txt pyproject.toml | $(UV)
	VIRTUAL_ENV=$(VENV) $(UV) pip install --quiet -r requirements.txt -c constraints.txt
	VIRTUAL_ENV=$(VENV) $(UV) pip install --quiet --no-deps -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	VIRTUAL_ENV=$(VENV) $(UV) pip install --quiet -r requirements-dev.txt -c constraints.txt
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

## run: the daily DAG through Airflow on the sample source for FROM..TO, then the day's summary
run: $(AIRFLOW_HOME)/.ready
	$(BIN)/python -m hk_market.run_days --from $(FROM) --to $(TO)

## test: lint and the whole test suite
test: $(VENV)/.installed-dev
	$(BIN)/ruff check dags include tests
	$(BIN)/python -m pytest

## dictionary: regenerate docs/data-dictionary.md from the DDL's COMMENTs
dictionary: $(VENV)/.installed
	$(BIN)/python -m hk_market.dictionary > docs/data-dictionary.md

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check dags include tests

## lock: re-resolve constraints.txt from requirements*.txt (needs the package index)
lock: $(UV)
	$(UV) pip compile --quiet requirements.txt requirements-dev.txt -o constraints.txt --no-header --python-version 3.11

clean:
	rm -rf $(VENV) $(AIRFLOW_HOME) warehouse landing
