#!/usr/bin/env bash
# Intake benchmark (docs/performance.md): signed POST /v1/intake/app over loopback at a fixed
# concurrency for a fixed time (wrk, deploy/bench/intake.lua signs each request), then pgbench
# doing the same writes against the same server, and the ratio of the two rates. Starts its own
# PostgreSQL (default durability) and service; installs wrk and curl if missing.
#   BENCH_SECONDS (20)  BENCH_CONCURRENCY (32)
set -euo pipefail
cd "$(dirname "$0")/.."
source deploy/lib/postgres.sh
source deploy/lib/bench.sh
ensure_postgres_installed
bench_tools

SECS="${BENCH_SECONDS:-20}"
CONC="${BENCH_CONCURRENCY:-32}"
bench_build mailbox
bench_cluster durable
APPPORT="$(free_port)"

export MAILBOX_APP_WEBHOOK_SECRET="bench-secret-$RANDOM"
DATABASE_URL="$URL" MAILBOX_DB_MAX_CONNECTIONS="$CONC" \
  "$BIN/mailbox" serve --migrate --port "$APPPORT" --log-level warning 2>"$PGDIR/service.log" &
SERVER_PID=$!
wait_ready "http://127.0.0.1:$APPPORT" "$SERVER_PID" "$PGDIR/service.log" || exit 1

echo "== service: wrk, $CONC connections, ${SECS}s after a 3 s warm-up, $(nproc) cores"
BENCH_RUN_ID="warm$RANDOM" wrk -t2 -c"$CONC" -d3s -s deploy/bench/intake.lua "http://127.0.0.1:$APPPORT" >/dev/null
BENCH_RUN_ID="run$RANDOM" wrk -t2 -c"$CONC" -d"${SECS}s" --timeout 10s -s deploy/bench/intake.lua "http://127.0.0.1:$APPPORT" \
  | grep '^intake_' | tee "$PGDIR/intake.txt"

echo "== pgbench: same writes, $CONC clients, ${SECS}s"
pgbench -n -h 127.0.0.1 -p "$PGPORT" -U postgres -c "$CONC" -j 2 -T 3 -M prepared -f deploy/bench/intake.pgbench.sql mailbox >/dev/null 2>&1
pgbench -n -h 127.0.0.1 -p "$PGPORT" -U postgres -c "$CONC" -j 2 -T "$SECS" -M prepared -l --log-prefix="$PGDIR/intake-pgb" \
  -f deploy/bench/intake.pgbench.sql mailbox 2>&1 | tee "$PGDIR/pgbench.txt" | grep -E "tps|latency|failed|processed"
# pgbench's own percentiles: the floor for the service's at the same concurrency on this machine.
pgb_latencies intake
echo "pgbench_p50_ms=$(pct "$PGDIR/intake-pgb-lat" 50) pgbench_p99_ms=$(pct "$PGDIR/intake-pgb-lat" 99)"

letters=$(sed -n 's/^intake_letters_per_second=//p' "$PGDIR/intake.txt")
tps=$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' "$PGDIR/pgbench.txt" | head -1)
awk -v l="$letters" -v t="$tps" 'BEGIN { printf "== ratio: service %.1f letters/s / pgbench %.1f tps = %.2f\n", l, t, l / t }'
