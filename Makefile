# One obvious command for everything. Every target creates and uses ./.venv itself.
SHELL := /bin/bash
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	command -v $$p >/dev/null && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' && { echo $$p; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)
PYTEST_ARGS ?=

.PHONY: venv up test lint format bench bench-large reliability-doc clean

$(STAMP): pyproject.toml
	@test -n "$(PYTHON)" || { echo "Python 3.11 or newer is needed (python3.11, python3.12 ...)."; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@rm -f $(VENV)/.installed-*; touch $@

venv: $(STAMP)

## make up: run the whole platform locally (embedded Redis + SQLite under ./var) with sample content
up: venv
	$(BIN)/healthhub up

## make test: lint, then the whole test suite (starts what it needs; says what it skipped)
test: venv
	$(BIN)/python -m tests.preflight
	$(BIN)/pytest -n 2 --dist loadfile $(PYTEST_ARGS)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .

format: venv
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## make bench [QUICK=1]: the benchmark suite; writes bench/results.md
bench: venv
	$(BIN)/python -m bench.run $(if $(QUICK),--quick,)

## make bench-large: render at scale with 100,000 articles (about 40 min); writes bench/results-large.md
bench-large: venv
	$(BIN)/python -m bench.large

## make reliability-doc: run the fault drills, record their figures, remake docs/reliability.md's table
DRILLS := tests/reliability/test_redis_crash.py tests/reliability/test_redis_frozen.py \
	tests/reliability/test_views_process_kills.py tests/reliability/test_views_redis_full.py
reliability-doc: venv
	HEALTHHUB_RECORD_DRILLS=1 $(BIN)/pytest -n 1 -p no:cacheprovider $(DRILLS)
	$(BIN)/python -m tests.reliability.report

clean:
	rm -rf var .pytest_cache .mypy_cache .ruff_cache test-artifacts
