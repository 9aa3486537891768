# webcurate — `make run` builds the dataset, `make test` checks everything. Both set up .venv first.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# The stamp is newer than pyproject.toml once its dependencies are installed: re-install only on change.
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 3000

export DAGSTER_HOME ?= $(CURDIR)/.dagster

.PHONY: help setup run explain ui ui-readonly test lint typecheck browser status stress clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

# The tests also cover the Ray engine, so they install the optional ray extra (once, and again on change).
RAY_STAMP := $(VENV)/.installed-ray
$(RAY_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,ray]'
	@touch $(RAY_STAMP)

setup: $(STAMP) ## create .venv and install webcurate with its dev tools
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

lint: setup ## ruff
	$(BIN)/ruff check pipeline tests bench

typecheck: setup ## mypy
	$(BIN)/mypy pipeline

browser: ## Debian's Chromium for the UI test (apt only when /usr/bin/chromium is missing)
	bash scripts/ensure_browser.sh

test: setup $(RAY_STAMP) lint typecheck browser ## ruff, mypy and the whole pytest suite
	$(BIN)/python -m pytest

# The full counts of tests/reliability: >=100 SIGKILLed writers, 50 races of 2 and of 8 writers, two full runs.
stress: setup ## kill the release writer at every stage, race 2 and 8 writers, check determinism
	$(BIN)/python -m bench.stress

clean: ## remove caches (keeps .venv, output/ and run history)
	rm -rf .pytest_cache .mypy_cache .ruff_cache .hypothesis
