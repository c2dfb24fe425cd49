# Two commands bring Keskinube up on a fresh Linux machine with Python 3.11:
#   make run   — install, build the demo database if absent, index it, serve http://localhost:8501
#   make test  — install the dev tools (and MariaDB/Chromium where missing), run every test
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8501

.PHONY: run test install install-dev system-deps lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python requirements.txt pyproject.toml
	$(BIN)/pip install --quiet -r requirements.txt
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

run: install
	$(BIN)/keskinube demo-db --if-missing
	$(BIN)/keskinube index || echo "indexing failed; the app will retry at start-up"
	$(BIN)/keskinube serve --port $(PORT)

system-deps:
	bash scripts/ensure-system-deps.sh

# The tests without a model first, then the real-model tier on its own: no test shares the
# two cores with the model (the tier is skipped, with the reason, when no model answers).
# Unit and integration tests run in two workers (pytest-xdist; a test file stays in one
# worker, so its module fixtures are built once; each worker starts its own throwaway
# database servers). Measured on 2 cores with another user's load beside: the integration
# tier in 3-5 min instead of 10-12 serially, the unit tier in 1.6 min instead of 3.1; under
# a heavier load beside, two workers gain little. The browser tests then run alone: beside
# the others, on 2 cores, they saved one minute of twelve and their timing was flaky.
test: install-dev system-deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/python -m pytest -m "not live_llm" --ignore=tests/e2e -n 2 --dist loadfile
	$(BIN)/python -m pytest -m "not live_llm" tests/e2e
	$(BIN)/python -m pytest -m live_llm

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

bench: install-dev
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache
