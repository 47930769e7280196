#!/usr/bin/env bash
# make demo: generate events, run bronze → silver → gold, print gold rows with sqlite3.
set -euo pipefail
LAKE_BIN=${LAKE_BIN:-.build/debug/lake}
DIR=${LAKE_DEMO_DIR:-/tmp/lake-demo}
rm -rf "$DIR"; mkdir -p "$DIR"
"$LAKE_BIN" --help
