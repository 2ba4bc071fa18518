# One obvious command for everything. Every target creates and uses ./.venv itself.
SHELL := /bin/bash
# The first Python 3.11+ that runs. Version managers' shims exist for interpreters that are
# not installed and say so on stderr when run: that is not news for the user, so it is muted.
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	$$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1 && { echo $$p; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
HASH := $(shell sha1sum pyproject.toml | cut -c1-12)
# Two install levels, one stamp each: what running the platform needs (`make up`), and that
# plus the test, lint and bench tools. A dev install leaves both stamps, so `make up` after
# `make test` installs nothing; a runtime install removes the dev stamp, so `make test`
# after `make up` adds the dev tools. A changed pyproject.toml changes both names.
RUN_STAMP := $(VENV)/.installed-run-$(HASH)
DEV_STAMP := $(VENV)/.installed-dev-$(HASH)
PIP_LOG := $(VENV)/pip.log
# When `make` started: `healthhub up` reports the time from here to the first page served.
# Python's clock, not `date +%s.%N` (GNU only: BSD's date prints a literal N).
STARTED := $(shell $(PYTHON) -c 'import time; print(time.time())' 2>/dev/null)
PYTEST_ARGS ?=

# pip's own chatter (and this machine's "Location ... is ignored" warnings) goes to a log;
# a failed install prints the end of that log, where pip says what went wrong.
define pip_install
	@$(BIN)/python -m pip install --disable-pip-version-check --no-input $(1) >$(PIP_LOG) 2>&1 \
	  || { echo "Installing failed; the end of $(PIP_LOG):" >&2; tail -n 25 $(PIP_LOG) >&2; exit 1; }
endef

.PHONY: venv up test lint format bench bench-large reliability-doc screenshots clean

$(BIN)/python:
	@test -n "$(PYTHON)" || { echo "Python 3.11 or newer is needed (python3.11, python3.12 ...)." >&2; exit 1; }
	@echo "==> Creating the virtual environment ($(VENV), $(PYTHON))"
	@$(PYTHON) -m venv $(VENV)

$(RUN_STAMP): pyproject.toml | $(BIN)/python
	@echo "==> Installing the runtime dependencies (pip log: $(PIP_LOG))"
	$(call pip_install,-e .)
	@rm -f $(VENV)/.installed-*; touch $@

$(DEV_STAMP): pyproject.toml | $(BIN)/python
	@echo "==> Installing the runtime, test, lint and bench dependencies (pip log: $(PIP_LOG))"
	$(call pip_install,-e '.[dev]')
	@rm -f $(VENV)/.installed-*; touch $@ $(RUN_STAMP)

venv: $(DEV_STAMP)

## make up: run the whole platform locally (embedded Redis + SQLite under ./var) with sample content
up: $(RUN_STAMP)
	@HEALTHHUB_UP_STARTED=$(STARTED) $(BIN)/healthhub up

## make test: the test suite (installs the system packages it uses when it can; says what it skipped)
test: $(DEV_STAMP)
	@$(BIN)/python -m tests.preflight
	$(BIN)/pytest -n 2 --dist loadfile $(PYTEST_ARGS)

lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .

format: $(DEV_STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## make bench [QUICK=1]: the benchmark suite; writes bench/results.md
bench: $(DEV_STAMP)
	$(BIN)/python -m bench.run $(if $(QUICK),--quick,)

## make bench-large: render at scale with 100,000 articles (long: run it on its own); writes bench/results-large.md
bench-large: $(DEV_STAMP)
	$(BIN)/python -m bench.large

## make screenshots: the editor's screens as PNGs in docs/images (taken by its browser test)
screenshots: $(DEV_STAMP)
	HEALTHHUB_SCREENSHOTS=docs/images $(BIN)/pytest -n 0 -p no:cacheprovider tests/e2e/test_editor_accessibility.py

## make reliability-doc: run the fault drills, record their figures, remake docs/reliability.md's table
DRILLS := tests/reliability/test_redis_crash.py tests/reliability/test_redis_frozen.py \
	tests/reliability/test_views_process_kills.py tests/reliability/test_views_redis_full.py
reliability-doc: $(DEV_STAMP)
	HEALTHHUB_RECORD_DRILLS=1 $(BIN)/pytest -n 1 -p no:cacheprovider $(DRILLS)
	$(BIN)/python -m tests.reliability.report

clean:
	rm -rf var .pytest_cache .mypy_cache .ruff_cache test-artifacts
