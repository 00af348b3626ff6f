# The two commands of the README: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
# Lint and type checks run unless SKIP_LINT=1 (CI's second, PostgreSQL pass skips them).
# (Not called LINT: GNU make predefines that name, so `LINT ?= 1` would never apply.)
SKIP_LINT ?= 0
PYTEST_ARGS ?=

.PHONY: demo test lint serve worker clean help

help:
	@echo "make demo   set up and run Rapport with demo data on http://127.0.0.1:8000"
	@echo "make test   set up and run lint, type checks, migration check and the whole test suite"

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Rapport needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall only when the dependencies change.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $@ $(VENV)/.installed

demo: $(VENV)/.installed
	$(BIN)/rapport demo

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy rapport tests benchmarks

test: $(VENV)/.installed-test
ifneq ($(SKIP_LINT),1)
	$(MAKE) --no-print-directory lint
endif
	$(BIN)/python manage.py makemigrations --check --dry-run --settings=tests.settings
	$(BIN)/python -m pytest -n 2 --dist loadfile $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache test-artifacts
