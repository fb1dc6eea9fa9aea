# Shared set-up for deploy/bench-*.sh (sourced, not run; after deploy/lib/postgres.sh).

# bench_tools: wrk and curl, installed when missing (the HTTP benchmarks drive the service with them).
bench_tools() {
  if ! command -v wrk >/dev/null 2>&1 || ! command -v curl >/dev/null 2>&1; then
    apt-get update -qq && apt-get install -y -qq --no-upgrade wrk curl >/dev/null
  fi
}

# bench_build PRODUCT...: release builds of the products; BIN is the folder they are in.
bench_build() {
  local product
  for product in "$@"; do swift build -c release --product "$product" >&2; done
  BIN="$(swift build -c release --show-bin-path)"
}

# bench_cluster [durable]: a private cluster in a fresh folder (PGDIR, on PGPORT) with an empty
# database `mailbox` (URL). On exit the service in SERVER_PID (when a script sets it) is stopped,
# and the cluster too unless BENCH_KEEP is set (then its folder and port are printed).
bench_cluster() {
  PGDIR="$(mktemp -d /tmp/mailbox-bench-pg.XXXXXX)"
  chmod 755 "$PGDIR"
  PGPORT="$(free_port)"
  SERVER_PID=""
  trap bench_cleanup EXIT
  start_private_cluster "$PGDIR" "$PGPORT" "${1:-}"
  createdb -h 127.0.0.1 -p "$PGPORT" -U postgres mailbox
  URL="postgres://postgres@127.0.0.1:$PGPORT/mailbox"
  if [ -n "${BENCH_KEEP:-}" ]; then echo "cluster kept: $PGDIR on port $PGPORT ($URL)"; fi
}

bench_cleanup() {
  if [ -n "${SERVER_PID:-}" ]; then kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null || true; fi
  if [ -z "${BENCH_KEEP:-}" ]; then stop_private_cluster "$PGDIR"; fi
}

# pct FILE P: the P-th percentile of the numbers in FILE (one per line), in ms from µs.
pct() { sort -n "$1" | awk -v p="$2" '{ v[NR] = $1 } END { if (NR) printf "%.1f", v[int(NR * p / 100) + 1] / 1000; else printf "-" }'; }
# pgb_latencies LABEL: pgbench's per-transaction logs ($PGDIR/LABEL-pgb.*, from -l --log-prefix) as one file of
# latencies in µs (their 3rd column), $PGDIR/LABEL-pgb-lat; the logs are removed.
pgb_latencies() { cat "$PGDIR/$1-pgb".* | awk '{ print $3 }' >"$PGDIR/$1-pgb-lat"; rm -f "$PGDIR/$1-pgb".*; }
