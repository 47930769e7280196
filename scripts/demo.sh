#!/usr/bin/env bash
# make demo: generate a day of clickstream, run bronze → silver → gold, show gold with sqlite3.
set -euo pipefail
LAKE_BIN=${LAKE_BIN:-.build/debug/lake}
DIR=${LAKE_DEMO_DIR:-/tmp/lake-demo}
EVENTS=${DEMO_EVENTS:-200000}
rm -rf "$DIR"
mkdir -p "$DIR"
echo "== lake generate: $EVENTS events with duplicates, late and malformed lines into $DIR/landing/clickstream"
"$LAKE_BIN" generate --lake "$DIR" --events "$EVENTS" --users 2000 --files 4 \
  --duplicates 0.02 --late 0.005 --malformed 0.005
echo "== lake run all"
"$LAKE_BIN" run all --lake "$DIR" --jobs jobs
echo "== lake status"
"$LAKE_BIN" status --lake "$DIR"
q() { echo "-- $1"; sqlite3 -header -column "$DIR/catalog.db" "$1"; echo; }
echo "== gold, straight from SQLite ($DIR/catalog.db)"
q "SELECT * FROM gold_kpis"
q "SELECT * FROM gold_funnel"
q "SELECT * FROM gold_session_status"
q "SELECT * FROM gold_top_customers LIMIT 5"
q "SELECT user_id, session_start, session_end, events_count, is_purchased, is_abandoned_cart, session_revenue, is_closed FROM gold_session_stats ORDER BY session_revenue DESC LIMIT 5"
echo "The lake is in $DIR; try: $LAKE_BIN sql --lake $DIR \"SELECT * FROM gold_hourly LIMIT 24\""
