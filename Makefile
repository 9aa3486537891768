# webcurate — `make run` builds the dataset, `make test` checks everything. Both set up .venv first.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Installs come from the lock files (exact versions with their sha256, made by `make lock` from the ranges in
# pyproject.toml): requirements/run.txt for make run and the UI, requirements/test.txt (dev, ray and
# postgres extras, the same versions of everything run.txt has) for make test.
LOCK := requirements/run.txt
TEST_LOCK := requirements/test.txt
# A stamp is newer than its lock file (and pyproject.toml, for the editable install's entry points) once
# what it pins is installed: a changed lock, from `make lock` or a pull, installs again.
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
# uv resolves the lock files (make lock only; installs use pip, so a fresh machine needs nothing but Python).
UV_VERSION := 0.13.9
HOST ?= 127.0.0.1
PORT ?= 3000

export DAGSTER_HOME ?= $(CURDIR)/.dagster

.PHONY: help setup run explain ui ui-readonly test lint typecheck browser postgres lock status stress clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): $(LOCK) pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-hashes -r $(LOCK)
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@$(BIN)/python -m pip check >/dev/null || { $(BIN)/python -m pip check; \
		echo "the lock files do not satisfy pyproject.toml: run 'make lock'" >&2; exit 1; }
	@touch $(STAMP)

# The tests also cover the Ray engine and PostgreSQL storage: their extras are in the test lock.
$(TEST_STAMP): $(STAMP) $(TEST_LOCK)
	$(BIN)/python -m pip install --quiet --require-hashes -r $(TEST_LOCK)
	@touch $(TEST_STAMP)

setup: $(STAMP) ## create .venv and install webcurate from requirements/run.txt
	@mkdir -p "$(DAGSTER_HOME)"

run: setup ## materialize the whole dataset from seeds/ into output/ (WEBCURATE_SEEDS_DIR, WEBCURATE_OUTPUT_DIR)
	$(BIN)/webcurate run

explain: setup ## how one file is curated, line by line: make explain FILE=path (WEBCURATE_RULES_FILE too)
	@test -n "$(FILE)" || { echo "usage: make explain FILE=path/to/file" >&2; exit 2; }
	$(BIN)/webcurate explain "$(FILE)"

status: setup ## list the published dataset versions
	$(BIN)/webcurate status

ui: setup ## the Dagster UI on http://$(HOST):$(PORT) (run history in DAGSTER_HOME=.dagster)
	@echo "webcurate UI: http://$(HOST):$(PORT)  (Ctrl-C to stop)"
	$(BIN)/dagster dev -w workspace.yaml -h $(HOST) -p $(PORT)

ui-readonly: setup ## the same UI for viewers: nothing can be launched or changed from it
	@echo "webcurate UI (read-only): http://$(HOST):$(PORT)  (Ctrl-C to stop)"
	$(BIN)/dagster-webserver -w workspace.yaml -h $(HOST) -p $(PORT) --read-only

lint: setup $(TEST_STAMP) ## ruff: lint rules and formatting
	$(BIN)/ruff check pipeline tests bench
	$(BIN)/ruff format --check pipeline tests bench

typecheck: setup $(TEST_STAMP) ## mypy (strict) on the package, the bench scripts and the tests
	$(BIN)/mypy pipeline bench tests

browser: ## Debian's Chromium for the UI test (apt only when /usr/bin/chromium is missing)
	bash scripts/ensure_browser.sh

postgres: ## Debian's PostgreSQL server for tests/e2e/test_postgres.py (apt only when it is missing)
	bash scripts/ensure_postgres.sh

test: setup $(TEST_STAMP) lint typecheck browser postgres ## ruff, mypy and the whole pytest suite
	$(BIN)/python -m pytest

# Keeps every pin still inside pyproject.toml's ranges (a new dependency gets the newest that fits);
# UPGRADE=1 takes the newest version of everything, UPGRADE_PACKAGES="dagster dagster-webserver" of those.
LOCK_FLAGS = --universal --python-version 3.11 --generate-hashes --custom-compile-command "make lock" --quiet \
	$(if $(UPGRADE),--upgrade) $(foreach p,$(UPGRADE_PACKAGES),--upgrade-package $(p))
lock: ## refresh requirements/*.txt from pyproject.toml (UPGRADE=1: newest versions in range)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet uv==$(UV_VERSION)
	@mkdir -p requirements
	$(BIN)/uv pip compile pyproject.toml --extra dev --extra ray --extra postgres $(LOCK_FLAGS) -o $(TEST_LOCK)
	@# run.txt is constrained by test.txt, so the two never disagree on a version they share.
	$(BIN)/uv pip compile pyproject.toml -c $(TEST_LOCK) $(LOCK_FLAGS) -o $(LOCK)

# The full counts of tests/reliability: >=100 SIGKILLed writers, 50 races of 2 and of 8 writers, two full runs.
stress: setup $(TEST_STAMP) ## kill the release writer at every stage, race 2 and 8 writers, check determinism
	$(BIN)/python -m bench.stress

clean: ## remove caches (keeps .venv, output/ and run history)
	rm -rf .pytest_cache .mypy_cache .ruff_cache .hypothesis
