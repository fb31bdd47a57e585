# The two commands of README.md: `make demo` and `make test`. Both set up .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Playwright drives the system's Chromium (tests/test_review.py): it never downloads a browser of its own.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1

.PHONY: demo test setup

$(BIN)/dronecheck: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e ".[dev]"
	touch $@

setup: $(BIN)/dronecheck

demo: setup
	$(BIN)/dronecheck scan datasets/sample-flight --profile roads

test: setup
	$(BIN)/python -m pytest -q
