#!/usr/bin/env bash
# Outbox benchmark (docs/performance.md): public changes of app letters written as transactions
# (the trigger adds one outbox row each), then AppDeliverySender delivering them to a local
# receiver; prints both rates and their ratio. Starts its own PostgreSQL (default durability).
#   BENCH_EVENTS (20000)  BENCH_WRITERS (8)  BENCH_SENDERS (2)  BENCH_BATCH (100)
set -euo pipefail
cd "$(dirname "$0")/.."
source deploy/lib/postgres.sh
source deploy/lib/bench.sh
ensure_postgres_installed

bench_build mailbox mailbox-bench
bench_cluster durable
DATABASE_URL="$URL" "$BIN/mailbox" migrate --log-level warning >/dev/null

echo "== outbox: $(nproc) cores"
"$BIN/mailbox-bench" outbox --database-url "$URL" --events "${BENCH_EVENTS:-20000}" \
  --writers "${BENCH_WRITERS:-8}" --senders "${BENCH_SENDERS:-2}" --batch "${BENCH_BATCH:-100}" --receiver-port "$(free_port)"
