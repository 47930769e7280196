#!/usr/bin/env bash
# make demo: generate input for every shipped job (a day of clickstream, card transactions, shop orders),
# run bronze → silver → gold for all of them, show each job's gold with sqlite3.
set -euo pipefail
LAKE_BIN=${LAKE_BIN:-.build/debug/lake}
DIR=${LAKE_DEMO_DIR:-/tmp/lake-demo}
EVENTS=${DEMO_EVENTS:-200000}
TRANSACTIONS=${DEMO_TRANSACTIONS:-50000}
ORDERS=${DEMO_ORDERS:-20000}
rm -rf "$DIR"
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
