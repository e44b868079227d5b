# Postroom's menu: `make` prints it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.9
export UV_PROJECT_ENVIRONMENT := $(abspath $(VENV))
export UV_PYTHON_DOWNLOADS := never
export UV_NO_PROGRESS := 1
# .pyc files written at install: where Python may not write them (PYTHONDONTWRITEBYTECODE,
# a read-only install) every command would compile its imports again at each start
# (docs/benchmarks.md, "CLI start-up").
export UV_COMPILE_BYTECODE := 1
# A crash in native code (PDFium, qpdf, libpq, ...) prints every thread's Python stack.
export PYTHONFAULTHANDLER := 1
# The suite runs in parallel processes (pytest-xdist), one more than the machine has cores
# (a third of the suite's time is spent waiting on servers, worker processes and clocks,
# which the extra one fills); a test process that is free takes tests still waiting in
# another's list (worksteal). PYTEST_WORKERS=0 runs every test in one process.
# The distributed run waits less (its worker process does the waiting for every test) and
# each test process costs a database, a worker process and an S3 server: one per core.
PYTEST_WORKERS ?= $(shell echo $$(( $$(nproc) + 1 )))
PYTEST_DIST_WORKERS ?= $(shell nproc)
PYTEST := $(BIN)/pytest --dist worksteal

.DEFAULT_GOAL := help
.PHONY: help install run test test-distributed lint bench e2e clean

help: ## Print this menu
	@grep -hE '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

$(BIN)/uv:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet uv==$(UV_VERSION)

$(VENV)/.installed: pyproject.toml uv.lock | $(BIN)/uv
	$(BIN)/uv sync --frozen --inexact --quiet
	@touch $@

install: $(VENV)/.installed ## Install Postroom and its pinned dependencies into .venv

run: install ## Start the embedded server on http://127.0.0.1:8000 (data in ./var), print a demo API key
	$(BIN)/postroom serve --host 127.0.0.1 --port 8000 --data-dir var

test: install ## Run the whole suite (SQLite, in-process worker; service tests skip without services)
	$(PYTEST) -n $(PYTEST_WORKERS)

test-distributed: install ## Run every test that uses the backend again on PostgreSQL + RabbitMQ + an S3 server, workers as processes
	POSTROOM_TEST_BACKEND=postgres $(PYTEST) -n $(PYTEST_DIST_WORKERS) -m "not distributed"

lint: install ## ruff (lint + format check), mypy, and the import rules (import-linter)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

bench: install ## Run the benchmarks and print ratios against the raw engines (PDF, database)
	$(BIN)/python -m bench
	$(BIN)/python -m bench.compose
	$(BIN)/python -m bench.events
	$(BIN)/python -m bench.logins
	$(BIN)/python -m bench.posten
	$(BIN)/python -m bench.dashboard
	$(BIN)/python -m bench.address_lists

e2e: install ## Only the end-to-end tests
	$(BIN)/pytest tests/e2e

clean: ## Remove the virtualenv, caches and ./var
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
