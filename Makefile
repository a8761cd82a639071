# Two commands on a fresh Debian/Ubuntu machine:  `make run` (the app)  and  `make test` (the suite).
# Both are idempotent: set-up steps are skipped when already done.
VENV    ?= .venv
PY      := $(VENV)/bin/python
SUDO    := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
PORT    ?= 8501
ADDRESS ?= 127.0.0.1
# CLASSROOM=1: bound each session's queued runs and their size, and the run store's disk (prism_core/jobs/limits.py)
CLASSROOM ?=
export HF_HUB_OFFLINE = 1

.PHONY: run test lint setup setup-test data browser unit integration browser-tests faults clean-venv gpu-check gpu-data gpu-dask gpu-grid

run: setup
	PRISM_CLASSROOM=$(CLASSROOM) $(VENV)/bin/streamlit run app/main.py --server.address $(ADDRESS) --server.port $(PORT) \
		--server.headless true --browser.gatherUsageStats false

# The whole suite on TEST_JOBS processes (xdist; each test file stays on one, one torch thread each), the 15 slowest
# tests named. A crash of an interpreter itself (a signal, not a failed test) prints its stacks and the test it hit.
TEST_JOBS ?= 2
test: setup-test lint
	@rm -f test-artifacts/crash-*.log; OMP_NUM_THREADS=1 $(PY) -m pytest -n $(TEST_JOBS) --dist loadfile \
		--durations=15 -p no:faulthandler; rc=$$?; for log in test-artifacts/crash-*.log; do \
		if [ -s "$$log" ]; then sed -n '/^Current thread/,/^$$/p' "$$log" | head -c 6000; p=$${log#*crash-}; \
		echo "a pytest process ($${p%.log}) died in $$(cat test-artifacts/current-test-$${p%.log})"; fi; done; exit $$rc

# one layout (ruff format), ruff's lint rules, and the import graph: layers that only point down and no cycles
# (all configured in pyproject.toml)
lint: $(VENV)/.installed-test
	$(VENV)/bin/ruff format --check --quiet .
	$(VENV)/bin/ruff check --quiet .
	$(VENV)/bin/lint-imports --no-cache

# the fast loop: one process per core (one torch thread each), under a minute on 2 cores
unit: setup $(VENV)/.installed-test
	OMP_NUM_THREADS=1 $(PY) -m pytest -n 2 -m "not integration and not browser and not faults"

integration: setup
	$(PY) -m pytest -m integration

browser-tests: setup-test
	$(PY) -m pytest -m browser

faults: setup-test
	$(PY) -m pytest -m faults

setup: data $(VENV)/.installed

setup-test: setup browser $(VENV)/.installed-test

# Fashion-MNIST from Debian's package (skipped when present, or when PRISM_DATA_DIR points at the IDX files)
data:
	@if [ -z "$$PRISM_DATA_DIR" ] && [ ! -f /usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz ]; then \
		if command -v apt-get >/dev/null; then $(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q dataset-fashion-mnist; \
		else echo "No apt-get: put the Fashion-MNIST IDX files in a folder and set PRISM_DATA_DIR"; exit 1; fi; fi

browser:
	@if ! command -v chromium >/dev/null; then \
		if command -v apt-get >/dev/null; then $(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q chromium; \
		else echo "No apt-get: install Chromium and put it on PATH for the browser tests"; exit 1; fi; fi

$(VENV)/.installed: requirements.txt pyproject.toml
	[ -x $(PY) ] || python3 -m venv $(VENV)
	$(PY) -m pip install -q -r requirements.txt
	$(PY) -m pip install -q --no-deps --no-build-isolation -e .
	touch $@

$(VENV)/.installed-test: requirements-test.txt $(VENV)/.installed
	$(PY) -m pip install -q -r requirements-test.txt
	touch $@

# The prepared device check, run on a lent GPU machine with its own torch/timm (python3 there):
#   here:  make gpu-data            (a Fashion-MNIST small enough to travel, Dask's wheels and the lean anchor loop
#                                    that the check runs beside the engine, in .gpu-data/)
#   there: make gpu-check OUT=DIR   (device run with carry [".gpu-data"]; report in DIR/gpu_check.md)
GPU_PY ?= python3
DASK_PINS = $(shell grep -E '^(dask|distributed)==' requirements.txt)
ANCHOR ?= ../shared/bench/lean_anchor.py
gpu-data: setup
	$(PY) scripts/gpu_check.py --pack-data .gpu-data
	$(PY) -m pip download -q -d .gpu-data/wheels $(DASK_PINS)
	@if [ -f "$(ANCHOR)" ]; then cp $(ANCHOR) .gpu-data/lean_anchor.py; \
	else echo "no lean anchor loop at $(ANCHOR) (ANCHOR=FILE names one): the check's lean-loop step will say so"; fi

gpu-dask:
	$(GPU_PY) -c "import distributed" 2>/dev/null || $(GPU_PY) -m pip install -q --no-index --find-links .gpu-data/wheels $(DASK_PINS)

gpu-check: gpu-dask
	PRISM_DATA_DIR=$${PRISM_DATA_DIR:-.gpu-data} PYTHONUNBUFFERED=1 $(GPU_PY) scripts/gpu_check.py --out $${OUT:-gpu-check-out} $(CHECK_ARGS)

# CHECK_ARGS narrows a call that has less device time, e.g. CHECK_ARGS='--budget-s 400 --only "lean anchor,bench"
#   --anchor-runs lean_bf16_compiled_S1'.
# gpu-check ends with the results grid in the budget left; a call for the grid alone (GRID_S seconds):
# there: make gpu-grid OUT=DIR GRID_S=360   here: cp DIR/grid/cells.json docs/measurements/grid/ && python scripts/results.py
gpu-grid: gpu-dask
	PRISM_DATA_DIR=$${PRISM_DATA_DIR:-.gpu-data} PYTHONUNBUFFERED=1 $(GPU_PY) scripts/gpu_check.py --out $${OUT:-gpu-check-out} \
	  --only "results grid" --budget-s $${GRID_S:-360}

clean-venv:
	rm -rf $(VENV)
