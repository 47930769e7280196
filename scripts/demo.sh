#!/usr/bin/env bash
# make demo: generate input for every shipped job (a day of clickstream, card transactions, shop orders),
# run bronze → silver → gold for all of them, show each job's gold with sqlite3.
set -euo pipefail
LAKE_BIN=${LAKE_BIN:-.build/debug/lake}
# Where: LAKE_DEMO_DIR when set (emptied first); else the project's lake/ when it holds nothing
# but its README (so `lake status` and `lake sql` afterwards show the demo); else a temporary
# folder, leaving a lake/ with data alone.
only_readme() { [ -z "$(find "$1" -mindepth 1 -maxdepth 1 ! -name README.md ! -name .gitignore 2>/dev/null)" ]; }
if [ -n "${LAKE_DEMO_DIR:-}" ]; then
  DIR=$LAKE_DEMO_DIR
  rm -rf "$DIR"
elif [ -d lake ] && only_readme lake; then
  DIR=$PWD/lake
  echo "== the demo writes into ./lake (it was empty): afterwards \`lake status\` and \`lake sql\` show it"
else
  DIR=/tmp/lake-demo
  rm -rf "$DIR"
  echo "== ./lake already holds data: the demo writes into $DIR instead (--lake $DIR to look at it)"
fi
EVENTS=${DEMO_EVENTS:-200000}
TRANSACTIONS=${DEMO_TRANSACTIONS:-50000}
ORDERS=${DEMO_ORDERS:-20000}
mkdir -p "$DIR"
echo "== lake generate: $EVENTS clickstream events with duplicates, late and malformed lines into $DIR/landing/clickstream"
"$LAKE_BIN" generate --lake "$DIR" --events "$EVENTS" --users 2000 --files 4 \
  --duplicates 0.02 --late 0.005 --malformed 0.005
echo "== lake generate --job transactions: $TRANSACTIONS card transactions into $DIR/landing/transactions"
"$LAKE_BIN" generate --job transactions --lake "$DIR" --events "$TRANSACTIONS" \
  --duplicates 0.02 --late 0.005 --malformed 0.005
echo "== lake generate --job orders: $ORDERS shop orders (Europe/Rome local time, customer e-mails) into $DIR/landing/orders"
"$LAKE_BIN" generate --job orders --lake "$DIR" --events "$ORDERS" \
  --duplicates 0.02 --late 0.005 --malformed 0.005
echo "== lake run all (every job in jobs/)"
"$LAKE_BIN" run all --lake "$DIR" --jobs jobs
echo "== lake status"
"$LAKE_BIN" status --lake "$DIR" --jobs jobs
q() { echo "-- $1"; sqlite3 -header -column "$DIR/catalog.db" "$1"; echo; }
echo "== clickstream gold, straight from SQLite ($DIR/catalog.db)"
q "SELECT * FROM gold_kpis"
q "SELECT * FROM gold_funnel"
q "SELECT * FROM gold_session_status"
q "SELECT * FROM gold_top_customers LIMIT 5"
q "SELECT user_id, session_start, session_end, events_count, is_purchased, is_abandoned_cart, session_revenue, is_closed FROM gold_session_stats ORDER BY session_revenue DESC LIMIT 5"
q "SELECT * FROM top_viewed_products LIMIT 5"
echo "== transactions gold"
q "SELECT * FROM transactions_kpis"
q "SELECT * FROM revenue_by_category"
q "SELECT * FROM revenue_by_city"
q "SELECT * FROM revenue_by_payment"
q "SELECT transaction_id, user_id, city, category, amount, event_time FROM gold_top_transactions"
q "SELECT * FROM gold_user_alerts ORDER BY transactions DESC, window_start LIMIT 5"
echo "== orders gold (the customer's e-mail is hashed in silver; the first name is not kept)"
q "SELECT * FROM orders_kpis"
q "SELECT * FROM segmentation"
q "SELECT model_version, label, round(center, 1) AS center_duration_s, orders, round(share, 3) AS share FROM gold_segment_model"
q "SELECT * FROM spender_types"
q "SELECT * FROM top_products LIMIT 5"
q "SELECT order_id, event_time, total, duration_session, spender_type, stock_alert, purchase_behaviour FROM gold_order_segments LIMIT 5"
echo "The lake is in $DIR; try: $LAKE_BIN sql --lake $DIR \"SELECT * FROM gold_sales_per_minute LIMIT 12\""
