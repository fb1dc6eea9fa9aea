#!/usr/bin/env bash
# Work-list benchmark (docs/performance.md): GET /v1/letters over BENCH_LETTERS generated letters
# (`mailbox demo generate`), a mix of filtered first pages and deep keyset pages as a dispatcher
# and as a department handler, BENCH_CONCURRENCY clients (wrk), then pgbench running the very
# same SQL statements (printed by `mailbox-bench worklist-sql` from the service's own query
# builder) at the same concurrency against the same server, and the ratio of the two rates.
#   BENCH_LETTERS (1000000)  BENCH_SECONDS (20)  BENCH_CONCURRENCY (16)  BENCH_KEEP_DB (unset)
#   BENCH_POOL: the service's PostgreSQL connections (MAILBOX_DB_MAX_CONNECTIONS; default BENCH_CONCURRENCY)
set -euo pipefail
cd "$(dirname "$0")/.."
source deploy/lib/postgres.sh
ensure_postgres_installed
if ! command -v wrk >/dev/null 2>&1 || ! command -v curl >/dev/null 2>&1; then
  apt-get update -qq && apt-get install -y -qq --no-upgrade wrk curl >/dev/null
fi

N="${BENCH_LETTERS:-1000000}"
SECS="${BENCH_SECONDS:-20}"
CONC="${BENCH_CONCURRENCY:-16}"
swift build -c release --product mailbox >&2
swift build -c release --product mailbox-bench >&2
BIN="$(swift build -c release --show-bin-path)"

PGDIR="$(mktemp -d /tmp/mailbox-bench-pg.XXXXXX)"
chmod 755 "$PGDIR"
PGPORT="$(free_port)"
APPPORT="$(free_port)"
SERVER_PID=""
cleanup() {
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null || true
  stop_private_cluster "$PGDIR"
}
trap cleanup EXIT
start_private_cluster "$PGDIR" "$PGPORT"
createdb -h 127.0.0.1 -p "$PGPORT" -U postgres mailbox
export DATABASE_URL="postgres://postgres@127.0.0.1:$PGPORT/mailbox"
PSQL=(psql -X -q -t -A -h 127.0.0.1 -p "$PGPORT" -U postgres mailbox)

"$BIN/mailbox" migrate >/dev/null
"$BIN/mailbox" demo-data >/dev/null
echo "== generating $N letters"
start=$(date +%s.%N)
"$BIN/mailbox" demo generate --letters "$N" --seed 42
end=$(date +%s.%N)
awk -v s="$start" -v e="$end" -v n="$N" 'BEGIN { printf "generate_seconds=%.1f  letters_per_second=%.0f\n", e - s, n / (e - s) }'
"${PSQL[@]}" -c "VACUUM ANALYZE letters"
echo "letters=$("${PSQL[@]}" -c "SELECT count(*) FROM letters") events=$("${PSQL[@]}" -c "SELECT count(*) FROM letter_events")"

DEPT="$("${PSQL[@]}" -c "SELECT department_id FROM letters WHERE department_id IS NOT NULL GROUP BY 1 ORDER BY count(*) DESC LIMIT 1")"
printf 'bench-password-1\n' | "$BIN/mailbox" user add bench-disp --role dispatcher --password-stdin >/dev/null
printf 'bench-password-2\n' | "$BIN/mailbox" user add bench-handler --role handler --department "$DEPT" --password-stdin >/dev/null

MAILBOX_DB_MAX_CONNECTIONS="${BENCH_POOL:-$CONC}" "$BIN/mailbox" serve --port "$APPPORT" --log-level warning 2>"$PGDIR/service.log" &
SERVER_PID=$!
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$APPPORT/readyz" >/dev/null 2>&1 && break
  sleep 0.2
done
login() {
  curl -fsS "http://127.0.0.1:$APPPORT/v1/auth/login" -H 'content-type: application/json' \
    -d "{\"username\":\"$1\",\"password\":\"$2\"}" | sed -n 's/.*"token":"\([^"]*\)".*/\1/p'
}
DISP="$(login bench-disp bench-password-1)"
HANDLER="$(login bench-handler bench-password-2)"

# A deep keyset page: follow next_cursor through 100 pages of 50 (letter 5,001 onwards).
deep_cursor() {
  local query="$1" token="$2" cursor="" page
  for _ in $(seq 1 100); do
    page="$(curl -fsS "http://127.0.0.1:$APPPORT/v1/letters?$query${cursor:+&cursor=$cursor}" -H "Authorization: Bearer $token")"
    cursor="$(printf '%s' "$page" | sed -n 's/.*"next_cursor":"\([^"]*\)".*/\1/p')"
  done
  printf '%s' "$cursor"
}
Q_TRIAGE="status=received,accepted&sort=received&limit=50"
Q_OVERDUE="overdue=true&sort=due&limit=50"
Q_OPEN="status=assigned,signed,processing,awaiting_citizen&sort=due&limit=50"
Q_MINE="sort=received&limit=50"
Q_TEXT="q=%E4%BE%9B%E6%9A%96&category=complaint&sort=received&limit=50"
Q_ALL="sort=due&limit=50"
DEEP_MINE="$Q_MINE&cursor=$(deep_cursor "$Q_MINE" "$HANDLER")"
DEEP_ALL="$Q_ALL&cursor=$(deep_cursor "$Q_ALL" "$DISP")"

# name|query|scope (all = dispatcher, department = the handler's)|token. The main mix is the
# filtered first pages and deep keyset pages; free text (a common term) is measured on its own.
MAIN=(
  "triage|$Q_TRIAGE|all|$DISP"
  "overdue|$Q_OVERDUE|all|$DISP"
  "deep-all|$DEEP_ALL|all|$DISP"
  "open-mine|$Q_OPEN|department:$DEPT|$HANDLER"
  "deep-mine|$DEEP_MINE|department:$DEPT|$HANDLER"
)
TEXT=("text|$Q_TEXT|all|$DISP")
# pgbench sessions get the settings the service's connections start with (DatabaseURL.swift).
export PGOPTIONS="-c jit=off -c max_parallel_workers_per_gather=0"

# measure LABEL SCENARIO...: wrk on the service, then pgbench on the same statements, then the ratio.
measure() {
  local label="$1" s name query scope token rows
  shift
  : >"$PGDIR/$label.tsv"
  local pgb=()
  for s in "$@"; do
    IFS='|' read -r name query scope token <<<"$s"
    printf '/v1/letters?%s\t%s\n' "$query" "$token" >>"$PGDIR/$label.tsv"
    "$BIN/mailbox-bench" worklist-sql --query "$query" --scope "$scope" >"$PGDIR/$name.sql"
    pgb+=(-f "$PGDIR/$name.sql")
    rows="$(curl -fsS "http://127.0.0.1:$APPPORT/v1/letters?$query" -H "Authorization: Bearer $token" | grep -o '"tracking_no"' | wc -l)"
    echo "scenario $name ($scope): $rows rows on the page"
  done
  echo "== $label, service: wrk, $CONC connections, ${SECS}s after a 3 s warm-up, $(nproc) cores, $N letters"
  BENCH_REQUESTS="$PGDIR/$label.tsv" wrk -t2 -c"$CONC" -d3s -s deploy/bench/worklist.lua "http://127.0.0.1:$APPPORT" >/dev/null
  BENCH_REQUESTS="$PGDIR/$label.tsv" wrk -t2 -c"$CONC" -d"${SECS}s" --timeout 10s -s deploy/bench/worklist.lua \
    "http://127.0.0.1:$APPPORT" | grep '^worklist_' | tee "$PGDIR/$label-service.txt"
  echo "== $label, pgbench: the same statements, $CONC clients, ${SECS}s"
  pgbench -n -h 127.0.0.1 -p "$PGPORT" -U postgres -c "$CONC" -j 2 -T 3 "${pgb[@]}" mailbox >/dev/null 2>&1
  rm -f "$PGDIR/$label-pgb".*
  pgbench -n -h 127.0.0.1 -p "$PGPORT" -U postgres -c "$CONC" -j 2 -T "$SECS" -r -l --log-prefix="$PGDIR/$label-pgb" "${pgb[@]}" \
    mailbox 2>&1 | tee "$PGDIR/$label-pgbench.txt" | grep -E "^tps|latency average|failed transactions"
  # pgbench's own latency percentiles (its per-transaction log, 3rd column in µs): the floor under the
  # service's p99 on this machine at this concurrency.
  cat "$PGDIR/$label-pgb".* | awk '{ print $3 }' | sort -n | awk -v n="$label" '{ v[NR] = $1 }
    END { if (NR) printf "== %s pgbench latency: p50 %.1f ms, p99 %.1f ms (%d transactions)\n", n, v[int(NR * 0.5) + 1] / 1000, v[int(NR * 0.99) + 1] / 1000, NR }'
  rm -f "$PGDIR/$label-pgb".*
  local rps tps
  rps=$(sed -n 's/^worklist_requests_per_second=//p' "$PGDIR/$label-service.txt")
  tps=$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' "$PGDIR/$label-pgbench.txt" | head -1)
  awk -v l="$rps" -v t="$tps" -v n="$label" 'BEGIN { printf "== %s ratio: service %.1f requests/s / pgbench %.1f tps = %.2f\n", n, l, t, l / t }'
}
measure main "${MAIN[@]}"
measure text "${TEXT[@]}"
if [ -n "${BENCH_KEEP_DB:-}" ]; then echo "plans: EXPLAIN ANALYZE of $PGDIR/*.sql"; for f in "$PGDIR"/*.sql; do echo "-- $f"; "${PSQL[@]}" -c "EXPLAIN (ANALYZE, BUFFERS) $(cat "$f")" | head -20; done; fi
