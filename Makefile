# The two commands a newcomer needs:  make run  |  make test
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 5000
PIP    := $(BIN)/python -m pip --disable-pip-version-check -q

.PHONY: run test test-reliability lint typecheck unit bench translations clean

# Runtime install (the product only).
$(VENV)/.stamp-run: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) install -e .
	touch $@

# Development install (tests, linters, type checker).
$(VENV)/.stamp-dev: pyproject.toml $(VENV)/.stamp-run
	$(PIP) install -e '.[dev]'
	touch $@

## run: create the venv, install, seed the demo school on first start, serve on $(HOST):$(PORT)
run: $(VENV)/.stamp-run
	$(BIN)/ejournal demo --if-empty
	$(BIN)/ejournal serve --host $(HOST) --port $(PORT)

## test: lint, import contracts, types, then every test (PostgreSQL ones need EJOURNAL_TEST_POSTGRES_URL)
test: lint typecheck
	$(BIN)/python -m pytest --ignore=tests/reliability $(PYTEST_ARGS)

## test-reliability: load, crashes, bad input, start-up, disk full (docs/reliability.md; ≈5 min, PostgreSQL)
test-reliability: $(VENV)/.stamp-dev
	$(BIN)/python -m pytest tests/reliability $(PYTEST_ARGS)

lint: $(VENV)/.stamp-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: $(VENV)/.stamp-dev
	$(BIN)/mypy

unit: $(VENV)/.stamp-dev
	$(BIN)/python -m pytest tests/unit -q

## bench: every benchmark (PostgreSQL), figures to var/bench/*.json, then the «Current results» table; BENCH_ARGS=--quick: a smoke run
BENCH_OUT ?= var/bench
BENCH_ARGS ?=
bench: $(VENV)/.stamp-dev
	mkdir -p $(BENCH_OUT) && rm -f $(BENCH_OUT)/*.json
	$(BIN)/python -m bench.bench_store --seconds 3 --json $(BENCH_OUT)/bench_store.json $(BENCH_ARGS)
	$(BIN)/python -m bench.bench_projections --schema bench_dataset --keep --json $(BENCH_OUT)/bench_projections.json $(BENCH_ARGS)
	$(BIN)/python -m bench.bench_ledger --schema bench_dataset --keep --grid-rounds 3 --json $(BENCH_OUT)/bench_ledger.json $(BENCH_ARGS)
	$(BIN)/python -m bench.dataset --drop bench_dataset
	$(BIN)/python -m bench.bench_retention --json $(BENCH_OUT)/bench_retention.json $(BENCH_ARGS)
	$(BIN)/python -m bench.bench_web --json $(BENCH_OUT)/bench_web.json $(BENCH_ARGS)
	$(BIN)/python -m bench.bench_archive --rounds 1 --json $(BENCH_OUT)/bench_archive.json $(BENCH_ARGS)
	$(BIN)/python -m bench.report $(BENCH_OUT)

## translations: extract the UI's messages, merge them into the catalogues, compile
translations: $(VENV)/.stamp-dev
	$(BIN)/pybabel extract -F babel.cfg -k _l -o web/translations/messages.pot web
	$(BIN)/pybabel update -i web/translations/messages.pot -d web/translations -w 100
	$(BIN)/pybabel compile -d web/translations

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis .import_linter_cache
