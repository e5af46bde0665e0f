# Signalfire: `make demo` runs the platform, `make test` checks everything.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint format install bench clean

demo: $(STAMP)  ## Install, prepare the embedded database under ./var and serve on :8000
	$(BIN)/signalfire demo

test: $(STAMP) lint  ## Lint, type-check and run the whole test suite
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff check --fix src tests bench
	$(BIN)/ruff format src tests bench

install: $(STAMP)

$(STAMP): pyproject.toml requirements.lock
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "Signalfire needs Python >= 3.11 (set PYTHON=...)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c requirements.lock -e '.[dev]'
	touch $@

bench: $(STAMP)  ## Run the benchmarks in bench/ and update docs/benchmarks.md
	$(BIN)/python -m bench.intake
	$(BIN)/python -m bench.avl
	$(BIN)/python -m bench.live
	$(BIN)/python -m bench.routing
	$(BIN)/python -m bench.demo_start

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache
