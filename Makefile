# The two commands a newcomer needs:  make run  |  make test      (make help lists the rest)
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 5000
PIP    := $(BIN)/python -m pip --disable-pip-version-check -q

# The lock files (`make lock` writes them from pyproject.toml with uv): every package with its
# exact version and hashes, for Python 3.11 on Linux x86_64. Hashes in a requirements file turn
# on pip's --require-hashes mode: every download is checked, and a package missing from the
# lock is an error. The pip configuration of the team's machine adds local package folders
# (find-links, extra indexes); they hold PyPI's own files (same hashes), pip drops an index file
# whose hash is not in the lock, and a foreign build would fail the check, never install. So the
# configuration is left as it is, and PyPI stays reachable.
LOCK_RUN := requirements/run.txt
LOCK_DEV := requirements/dev.txt
LOCK     := $(BIN)/uv pip compile --quiet --generate-hashes --python-version 3.11 \
            --python-platform x86_64-unknown-linux-gnu --custom-compile-command 'make lock'

# Python writes the bytecode of the product's modules (__pycache__/, ignored by git) even where
# the environment says not to (PYTHONDONTWRITEBYTECODE, set on the team's machines): the tests
# start `ejournal` as a process several hundred times, and each would compile the product's
# modules again (≈ 0.5 s of CPU each); pytest also keeps its rewritten test modules.
unexport PYTHONDONTWRITEBYTECODE

.DEFAULT_GOAL := help
.PHONY: help run test test-reliability lint typecheck unit bench translations lock clean

## help: list the targets (this text)
help:
	@sed -n 's/^## \([a-z-]*\): /\1\t/p' $(MAKEFILE_LIST) | expand -t 18

# The installer is uv, at the version and hashes of the dev lock (pip installs it, checking
# them): pip fetched the ≈ 100 packages one after another and took 2.5–4.5 min for a fresh
# venv, uv takes under a minute (docs/benchmarks.md, «CI time»). `--require-hashes` keeps
# pip's check (every file against the lock's hashes, a package missing from the lock is an
# error); `--compile-bytecode` writes the .pyc files as pip did, so that no process compiles
# the libraries again. uv reads PyPI only (not pip's local folders, which hold PyPI's files),
# trusting the system's certificates as pip does (--native-tls).
UV_LOCK  := $(VENV)/uv-lock.txt
UV       := $(BIN)/uv pip install --python $(BIN)/python --quiet --native-tls
$(BIN)/uv: $(LOCK_DEV)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	sed -n '/^uv==/,/^    #/p' $(LOCK_DEV) | grep -v '^ *#' > $(UV_LOCK)
	$(PIP) install --no-deps --require-hashes -r $(UV_LOCK)
	touch $@

# Runtime install (the product only): the locked packages, then the product itself, editable.
$(VENV)/.stamp-run: $(LOCK_RUN) pyproject.toml $(BIN)/uv
	$(UV) --compile-bytecode --require-hashes -r $(LOCK_RUN)
	$(UV) --no-deps -e .
	touch $@

# Development install (tests, linters, type checker, the lock tool).
$(VENV)/.stamp-dev: $(LOCK_DEV) $(VENV)/.stamp-run
	$(UV) --compile-bytecode --require-hashes -r $(LOCK_DEV)
	touch $@

## run: create the venv, install, seed the demo school on first start, serve on HOST:PORT (127.0.0.1:5000)
run: $(VENV)/.stamp-run
	$(BIN)/ejournal demo --if-empty
	$(BIN)/ejournal serve --host $(HOST) --port $(PORT)

# The tests run on every core (pytest-xdist; JOBS=1: in one process). Each file goes to one
# worker (--dist loadfile), so a module's fixtures are built once and its tests keep their order.
# Files go out in collection order, the longest first (tests/conftest.py LONG_FIRST), not
# xdist's default of the files with most tests first, which left the long one-test files
# (make run, the demo seeded as a process) to the end, one worker busy and the other idle.
JOBS   ?= auto
XDIST  := $(if $(filter 1,$(JOBS)),-p no:xdist,-n $(JOBS) --dist loadfile --no-loadscope-reorder)

## test: lint, import contracts, types, then every test on every core (JOBS=1: one process; PostgreSQL ones need EJOURNAL_TEST_POSTGRES_URL)
test: lint typecheck
	$(BIN)/python -m pytest --ignore=tests/reliability $(XDIST) $(PYTEST_ARGS)

# Two passes: bad input, start-up refusals and disk full on every core (the fuzz modules in one
# worker: they add to one count); then load, crash and restore alone in one process, so the load
# figures are not shared with other tests and the PostgreSQL restart hits nothing else.
## test-reliability: bad input, start-up, disk full on every core, then load, crashes, restore alone (docs/reliability.md; PostgreSQL)
test-reliability: $(VENV)/.stamp-dev
	$(BIN)/python -m pytest tests/reliability -m "not alone" \
	  $(if $(filter 1,$(JOBS)),-p no:xdist,-n $(JOBS) --dist loadgroup) $(PYTEST_ARGS)
	EJOURNAL_RELIABILITY_APPEND=1 $(BIN)/python -m pytest tests/reliability -m alone $(PYTEST_ARGS)

## lint: ruff (lint and format check) and the import contracts (lint-imports)
lint: $(VENV)/.stamp-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

## typecheck: mypy --strict on the packages of pyproject.toml [tool.mypy] files
typecheck: $(VENV)/.stamp-dev
	$(BIN)/mypy

## unit: the unit tests only (in memory, fast)
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
	$(BIN)/python -m bench.bench_sessions --json $(BENCH_OUT)/bench_sessions.json $(BENCH_ARGS)
	$(BIN)/python -m bench.bench_archive --rounds 1 --json $(BENCH_OUT)/bench_archive.json $(BENCH_ARGS)
	$(BIN)/python -m bench.bench_passwords --json $(BENCH_OUT)/bench_passwords.json $(BENCH_ARGS)
	$(BIN)/python -m bench.bench_notify --json $(BENCH_OUT)/bench_notify.json $(BENCH_ARGS)
	$(BIN)/python -m bench.report $(BENCH_OUT)

## translations: extract the UI's messages, merge them into the catalogues, compile
translations: $(VENV)/.stamp-dev
	$(BIN)/pybabel extract -F babel.cfg -k _l -k N_ -o web/translations/messages.pot web retention/words.py retention/rules.py
	$(BIN)/pybabel update -i web/translations/messages.pot -d web/translations -w 100
	$(BIN)/pybabel compile -d web/translations

## lock: re-resolve pyproject.toml into the lock files (LOCK_ARGS=--upgrade: newest allowed)
lock: $(VENV)/.stamp-dev
	$(LOCK) pyproject.toml --extra dev $(LOCK_ARGS) -o $(LOCK_DEV)
	$(LOCK) pyproject.toml --constraints $(LOCK_DEV) -o $(LOCK_RUN)

## clean: remove the venv and the tools' caches (never var/: the demo school's data)
clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis .import_linter_cache
