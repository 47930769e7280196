# lake — build, test, demo, bench. Every target installs what is missing first.
SHELL := /bin/bash
SWIFT ?= swift
PYTHON ?= python3
LAKE_DEMO_DIR ?= /tmp/lake-demo
DEBUG_BIN := .build/debug
RELEASE_BIN := .build/release
APT_PACKAGES := libzstd-dev libsqlite3-dev sqlite3
PIP_PACKAGES := pyarrow duckdb pytest pytz

.PHONY: all build release deps deps-apt deps-pip test test-swift test-interop demo bench lint clean

all: build

# --- set-up -----------------------------------------------------------------------------------
deps: deps-apt deps-pip

deps-apt:
	@missing=""; \
	[ -f /usr/include/zstd.h ] || missing="$$missing libzstd-dev"; \
	[ -f /usr/include/sqlite3.h ] || missing="$$missing libsqlite3-dev"; \
	command -v sqlite3 >/dev/null || missing="$$missing sqlite3"; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

deps-pip:
	@$(PYTHON) -c "import pyarrow, duckdb, pytest, pytz" 2>/dev/null || \
	  $(PYTHON) -m pip install -q $(PIP_PACKAGES)

# --- build ------------------------------------------------------------------------------------
build: deps-apt
	$(SWIFT) build

release: deps-apt
	$(SWIFT) build -c release

# --- tests ------------------------------------------------------------------------------------
test: deps build test-swift test-interop

test-swift:
	$(SWIFT) test

test-interop: build
	LAKE_BIN=$(CURDIR)/$(DEBUG_BIN)/lake PARQUET_TOOL=$(CURDIR)/$(DEBUG_BIN)/parquet-tool \
	  $(PYTHON) -m pytest -q Tests/interop Tests/e2e

# --- demo -------------------------------------------------------------------------------------
demo: deps build
	LAKE_BIN=$(CURDIR)/$(DEBUG_BIN)/lake LAKE_DEMO_DIR=$(LAKE_DEMO_DIR) bash scripts/demo.sh

# --- benchmarks (release build) ---------------------------------------------------------------
bench: deps release
	LAKE_BIN=$(CURDIR)/$(RELEASE_BIN)/lake PARQUET_TOOL=$(CURDIR)/$(RELEASE_BIN)/parquet-tool \
	  bash bench/run.sh

lint:
	$(SWIFT) format lint --recursive Sources Tests

clean:
	rm -rf .build
