# lake — build, test, demo, bench. Every target installs what is missing first.
SHELL := /bin/bash
SWIFT ?= swift
PYTHON ?= python3
# make demo writes into ./lake when it is empty, else /tmp/lake-demo; LAKE_DEMO_DIR=DIR forces DIR.
LAKE_DEMO_DIR ?=
DEBUG_BIN := .build/debug
RELEASE_BIN := .build/release
PIP_PACKAGES := pyarrow duckdb pytest pytz deltalake scikit-learn confluent-kafka

.PHONY: all build release deps-build deps-test test test-swift test-interop demo bench lint clean

all: build

# --- set-up: install only what is missing ---------------------------------------------------
# apt_install CHECKS: each check is "test-command:package"; missing packages are installed.
define apt_install
	@missing=""; \
	for pair in $(1); do \
	  check="$${pair%%:*}"; pkg="$${pair##*:}"; \
	  eval "$$check" >/dev/null 2>&1 || missing="$$missing $$pkg"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi
endef

# To build and run: the C libraries' headers, and the sqlite3 shell the demo queries gold with.
deps-build:
	$(call apt_install,"test -f /usr/include/zstd.h:libzstd-dev" "test -f /usr/include/sqlite3.h:libsqlite3-dev" "command -v sqlite3:sqlite3" "test -f /usr/include/librdkafka/rdkafka.h:librdkafka-dev" "test -f /usr/include/zlib.h:zlib1g-dev")

# To test: also the zstd CLI, headless Chromium (dashboard test) and the Python helpers.
deps-test: deps-build
	$(call apt_install,"command -v zstd:zstd" "command -v chromium:chromium")
	@$(PYTHON) -c "import pyarrow, duckdb, pytest, pytz, deltalake, sklearn, confluent_kafka" 2>/dev/null || \
	  $(PYTHON) -m pip install -q $(PIP_PACKAGES)

# --- build ------------------------------------------------------------------------------------
build: deps-build
	$(SWIFT) build

release: deps-build
	$(SWIFT) build -c release

# --- tests ------------------------------------------------------------------------------------
test: deps-test build test-swift test-interop test-torture-slice

test-swift:
	$(SWIFT) test

# Two pytest runs: each folder has its own conftest.py helpers.
test-interop: build
	LAKE_BIN=$(CURDIR)/$(DEBUG_BIN)/lake PARQUET_TOOL=$(CURDIR)/$(DEBUG_BIN)/parquet-tool \
	  $(PYTHON) -m pytest -q Tests/interop
	LAKE_BIN=$(CURDIR)/$(DEBUG_BIN)/lake PARQUET_TOOL=$(CURDIR)/$(DEBUG_BIN)/parquet-tool \
	  $(PYTHON) -m pytest -q Tests/e2e

# Reliability harness (Tests/torture, docs/RELIABILITY.md): kills, hostile input, fuzzing,
# concurrency, a full disk (needs root for the tmpfs; skipped with a message otherwise).
.PHONY: torture test-torture-slice
test-torture-slice: deps-test build
	LAKE_BIN=$(CURDIR)/$(DEBUG_BIN)/lake PARQUET_TOOL=$(CURDIR)/$(DEBUG_BIN)/parquet-tool \
	  $(PYTHON) Tests/torture/torture.py

torture: deps-test build
	LAKE_BIN=$(CURDIR)/$(DEBUG_BIN)/lake PARQUET_TOOL=$(CURDIR)/$(DEBUG_BIN)/parquet-tool \
	  $(PYTHON) Tests/torture/torture.py --full

# --- demo -------------------------------------------------------------------------------------
demo: build
	LAKE_BIN=$(CURDIR)/$(DEBUG_BIN)/lake LAKE_DEMO_DIR=$(LAKE_DEMO_DIR) bash scripts/demo.sh

# --- benchmarks (release build) ---------------------------------------------------------------
bench: deps-test release
	LAKE_BIN=$(CURDIR)/$(RELEASE_BIN)/lake PARQUET_TOOL=$(CURDIR)/$(RELEASE_BIN)/parquet-tool \
	  bash bench/run.sh

lint:
	$(SWIFT) format lint --recursive Sources Tests

clean:
	rm -rf .build
