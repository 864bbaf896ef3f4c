# Two commands on a fresh machine: `make demo` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint unit bench baseline clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/milepost demo

lint: $(STAMP)
	$(BIN)/ruff check connector mappings jobs tests
	$(BIN)/mypy

test: $(STAMP) lint
	$(BIN)/python -m pytest -q tests --ignore=tests/bench

bench: $(STAMP)
	$(BIN)/python -m tests.bench

# a full bench run kept as tests/bench/baseline.json, and the README's "Measured" tables from it
baseline: $(STAMP)
	$(BIN)/python -m tests.bench --out tests/bench/baseline.json
	$(BIN)/python -m tests.bench.table tests/bench/baseline.json

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .mypy_cache .ruff_cache
