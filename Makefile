# The two commands of README.md: `make demo` and `make test`. Both set up .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

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
