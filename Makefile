# The whole developer interface. On a fresh machine with Python 3.11 and make:
#   make demo   install, generate realistic data, build, and serve the dashboard
#   make test   install, lint, and run every test
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
UV_VERSION := 0.13.9
# Use uv from PATH if there is one, else a private copy installed from PyPI.
UV := $(or $(shell command -v uv 2>/dev/null),$(CURDIR)/.tools/bin/uv)
export UV_PYTHON_DOWNLOADS := never
export UV_PYTHON := $(PYTHON)

HOME_DIR ?= $(CURDIR)/data
export KPIWATCH_HOME := $(HOME_DIR)
KPIWATCH := $(UV) run --frozen kpiwatch

DEMO_START ?= 2026-10-01
DEMO_DAYS ?= 31
DEMO_SCALE ?= 0.002

.PHONY: help install demo test lint format bench-generate bench-ingest bench-build bench-spark bench-history clean

help:
	@echo "make demo            install, generate a month for 31 provinces, ingest, build, serve the dashboard"
	@echo "make test            install, lint (ruff, sqlfluff) and run every test"
	@echo "make lint / format   lint only / rewrite Python formatting"
	@echo "make bench-generate  generator throughput at national scale (slow)"
	@echo "make bench-ingest    ingest vs DuckDB's own readers on ~24 M rows, and peak memory (slow)"
	@echo "make bench-build     kpiwatch build vs one hand-written query (KPIWATCH_BENCH_SCALE)"
	@echo "make bench-spark     the same build on DuckDB and on a local Spark (KPIWATCH_BENCH_SCALE)"
	@echo "make bench-history   a year of history: full, daily and hourly runs, file growth, pages (slow)"

$(CURDIR)/.tools/bin/uv:
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet "uv==$(UV_VERSION)"

# --compile-bytecode: where PYTHONDONTWRITEBYTECODE is set (CI images often do), Python
# would otherwise compile dbt from source at every start (~1 s per dbt command).
.venv/.installed: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --compile-bytecode
	touch $@

install: .venv/.installed

demo: install
	$(KPIWATCH) generate --start $(DEMO_START) --days $(DEMO_DAYS) --scale $(DEMO_SCALE)
	$(KPIWATCH) ingest || test $$? -eq 1  # 1: some planted files are unreadable, as intended
	$(KPIWATCH) build
	@echo
	@echo "Demo home: $(HOME_DIR) (landing files, manifest, warehouse.duckdb)."
	$(KPIWATCH) dashboard

lint: install
	$(UV) run --frozen ruff check .
	$(UV) run --frozen ruff format --check .
	$(UV) run --frozen sqlfluff lint models macros tests

format: install
	$(UV) run --frozen ruff check --fix .
	$(UV) run --frozen ruff format .

# Two pytest-xdist workers, one per core (three were slower here: 23 min 48 s against 19 min
# for the same 441 tests); TEST_WORKERS=0 runs every test in this process.
TEST_WORKERS ?= 2

test: lint
	$(UV) run --frozen pytest -n $(TEST_WORKERS) --dist loadgroup

bench-generate: install
	$(UV) run --frozen pytest -m benchmark -k generate -s

bench-ingest: install
	$(UV) run --frozen pytest -m benchmark -k ingest -s pytests/test_benchmarks.py

bench-build: install
	$(UV) run --frozen pytest -m benchmark -k hand_written -s pytests/test_benchmarks.py

bench-spark: install
	$(UV) run --frozen pytest -m benchmark -s pytests/test_benchmarks_spark.py

bench-history: install
	$(UV) run --frozen pytest -m benchmark -s pytests/test_benchmarks_history.py

clean:
	rm -rf .venv .tools target logs
