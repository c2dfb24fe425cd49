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

# The tests without a model run in two workers (the browser tests together in one, beside
# the rest); the real-model tier runs after them, alone, so that no test shares the cores
# with the model (it is skipped, with the reason, when no model server answers).
test: install-dev system-deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/python -m pytest -m "not live_llm" -n 2 --dist loadgroup
	$(BIN)/python -m pytest -m live_llm

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

bench: install-dev
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache
