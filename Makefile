# Two commands matter: `make demo` and `make test`. Both create .venv with the
# interpreter named by PYTHON (default python3) and install what they need.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-dev
BENCH_STAMP := $(VENV)/.installed-bench

.PHONY: demo test pytest lint typecheck generate bench coldstart clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/clerk-core demo

test: pytest lint typecheck

pytest: $(STAMP)
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy --strict

# Regenerate the Backend API client from ../shared/specs (a test fails when the output is stale).
generate: $(STAMP)
	$(BIN)/python -m scripts.generate_bapi
	$(BIN)/python -m scripts.generate_webhooks

$(BENCH_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	touch $(BENCH_STAMP)

bench: $(BENCH_STAMP)
	$(BIN)/python -m benchmarks.verify_token
	$(BIN)/python -m benchmarks.construction
	$(BIN)/python -m benchmarks.backend_api
	$(BIN)/python -m benchmarks.webhooks

# Cold start in this environment, then in one that holds only what a user installs.
RUNTIME_VENV := .venv-runtime
$(RUNTIME_VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(RUNTIME_VENV)
	$(RUNTIME_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(RUNTIME_VENV)/bin/python -m pip install --quiet '.[josepy,niquests]'
	touch $@

coldstart: $(STAMP) $(RUNTIME_VENV)/.installed
	$(RUNTIME_VENV)/bin/python -m pip install --quiet --no-deps --force-reinstall .  # this checkout's code
	$(BIN)/python -m benchmarks.coldstart
	$(BIN)/python -m benchmarks.coldstart --python $(RUNTIME_VENV)/bin/python

clean:
	rm -rf $(VENV) $(RUNTIME_VENV) build dist .mypy_cache .ruff_cache .pytest_cache
