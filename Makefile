# Two commands set everything up on a fresh machine with Python >= 3.11:
#   make demo   - builds .venv, creates the demo workspace on SQLite and serves it
#   make test   - builds .venv with the dev tools and runs the whole test suite
# PostgreSQL tests run too when REVLINE_TEST_DATABASE_URL names a server (see README).

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PYTEST_ARGS ?=

.PHONY: demo serve test lint check bench-storage bench-scale bench-deals bench-events bench-scoring clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed

demo: $(VENV)/.installed
	$(BIN)/revline demo

serve: $(VENV)/.installed
	$(BIN)/revline serve

test: $(VENV)/.installed-dev
	$(BIN)/pytest -n 2 $(PYTEST_ARGS)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

check: lint test

bench-storage: $(VENV)/.installed-dev
	$(BIN)/python bench/storage_layouts.py --layouts typed_json,eav,single_json,typed_json_composite

bench-scale: $(VENV)/.installed-dev
	$(BIN)/python bench/crm_scale.py

bench-deals: $(VENV)/.installed-dev
	$(BIN)/python bench/deals_forecast.py

bench-events: $(VENV)/.installed-dev
	$(BIN)/python bench/events.py --sqlite-events 1000000

bench-scoring: $(VENV)/.installed-dev
	$(BIN)/python bench/scoring.py

clean:
	rm -rf $(VENV) revline-demo.db revline-demo.db-wal revline-demo.db-shm
