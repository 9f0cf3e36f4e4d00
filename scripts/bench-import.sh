#!/usr/bin/env bash
# Import benchmark (not a test): generates ORDERS orders (default 100000, seed 7) with `consign
# gen`, then imports the orders and then the shipments into a fresh SQLite database and a fresh
# PostgreSQL database, and prints rows/s per engine. With --mapping it renames the shipment
# file's columns the way a WMS export would and imports it through a mapping file.
#
#   scripts/bench-import.sh [ORDERS] [--mapping]
#   CONSIGN_BENCH_PG=postgres://postgres@127.0.0.1:5432/postgres (default) selects the server.
set -euo pipefail
cd "$(dirname "$0")/.."
ORDERS=${1:-100000}
MAPPING=${2:-}
PG=${CONSIGN_BENCH_PG:-postgres://postgres@127.0.0.1:5432/postgres}
cargo build --release --locked -q -p consign-cli
BIN=$PWD/target/release/consign
WORK=$(mktemp -d /tmp/consign-bench.XXXXXX)
DB="consign_bench_$$"
cleanup() { rm -rf "$WORK"; psql "$PG" -qc "drop database if exists $DB" >/dev/null 2>&1 || true; }
trap cleanup EXIT

now() { date +%s.%N; }
calc() { awk "BEGIN { print $1 }"; }
echo "machine: $(nproc) cores, $(uname -r); consign $($BIN --version)"
t0=$(now); $BIN gen --seed 7 --orders "$ORDERS" --out "$WORK/gen"; t1=$(now)
echo "gen: $(calc "$t1 - $t0") s"

if [[ "$MAPPING" == "--mapping" ]]; then
  # A WMS-style header for shipments.csv and the mapping that loads it.
  cat > "$WORK/wms.toml" <<'TOML'
[columns]
"Carrier SCAC" = "carrier"
"Service" = "service_level"
"Tracking #" = "tracking_number"
"Direction" = "direction"
"Order Ref" = "order"
"Lines" = "lines"
"Ship From" = "origin_name"
"From City" = "origin_city"
"From State" = "origin_region"
"From Zip" = "origin_postal_code"
"From Country" = "origin_country"
"From TZ" = "origin_time_zone"
"Ship To" = "destination_name"
"To City" = "destination_city"
"To State" = "destination_region"
"To Zip" = "destination_postal_code"
"To Country" = "destination_country"
"To TZ" = "destination_time_zone"
"Weight (kg)" = "weight_kg"
"Pieces" = "pieces"
"Pickup Planned" = "planned_pickup_at"
"Promised" = "promised_by"
"Intl" = "international"
"POD" = "pod_required"
"Picked Up" = "picked_up_at"
"Delivered" = "delivered_at"
TOML
  for d in "$WORK"/gen/*/; do
    f="$d/shipments.csv"
    { echo 'Carrier SCAC,Service,Tracking #,Direction,Order Ref,Lines,Ship From,From City,From State,From Zip,From Country,From TZ,Ship To,To City,To State,To Zip,To Country,To TZ,Weight (kg),Pieces,Pickup Planned,Promised,Intl,POD,Picked Up,Delivered'; tail -n +2 "$f"; } > "$f.wms" && mv "$f.wms" "$f"
  done
  MAP=(--mapping "$WORK/wms.toml")
else
  MAP=()
fi

bench() { # name url
  local name=$1 url=$2 dir="$WORK/$1"
  mkdir -p "$dir"
  $BIN --database-url "$url" --data-dir "$dir" import setup "$WORK/gen/tenants.json" >/dev/null
  local orders=0 shipments=0
  local a b c
  a=$(now)
  for t in northwind acme-industrial; do
    $BIN --database-url "$url" --data-dir "$dir" import orders "$WORK/gen/$t/orders.csv" --tenant "$t"
    orders=$((orders + $(tail -n +2 "$WORK/gen/$t/orders.csv" | cut -d, -f1 | sort -u | wc -l)))
  done
  b=$(now)
  for t in northwind acme-industrial; do
    $BIN --database-url "$url" --data-dir "$dir" import shipments "$WORK/gen/$t/shipments.csv" --tenant "$t" "${MAP[@]}"
    shipments=$((shipments + $(tail -n +2 "$WORK/gen/$t/shipments.csv" | wc -l)))
  done
  c=$(now)
  printf 'RESULT %-8s orders: %d in %.1f s = %.0f orders/s | shipments: %d in %.1f s = %.0f rows/s\n' \
    "$name" "$orders" "$(calc "$b - $a")" "$(calc "$orders / ($b - $a)")" \
    "$shipments" "$(calc "$c - $b")" "$(calc "$shipments / ($c - $b)")"
}

bench sqlite "sqlite://$WORK/sqlite/bench.db"
if psql "$PG" -qc "create database $DB" >/dev/null 2>&1; then
  bench postgres "${PG%/*}/$DB"
else
  echo "PostgreSQL at $PG unreachable: skipped"
fi
