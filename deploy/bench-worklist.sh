#!/usr/bin/env bash
# Work-list benchmark (docs/performance.md): GET /v1/letters over BENCH_LETTERS generated letters
# (`mailbox demo generate`), a mix of filtered first pages and deep keyset pages as a dispatcher
# and as a department handler, BENCH_CONCURRENCY clients (wrk), then pgbench running the very
# same SQL statements (printed by `mailbox-bench worklist-sql` from the service's own query
# builder) at the same concurrency against the same server, and the ratio of the two rates.
#   BENCH_LETTERS (1000000)  BENCH_SECONDS (10, per round and side)  BENCH_ROUNDS (3)  BENCH_CONCURRENCY (16)
#   BENCH_THINK_MS (30: the pause of each client between pages in the below-saturation run)  BENCH_KEEP_DB (unset)
#   BENCH_POOL (4): the service's PostgreSQL connections (MAILBOX_DB_MAX_CONNECTIONS). On 2 cores, 8 or 16
#   connections gave the same rate and twice the p99 (queueing inside PostgreSQL) as 4.
set -euo pipefail
cd "$(dirname "$0")/.."
source deploy/lib/postgres.sh
source deploy/lib/bench.sh
ensure_postgres_installed
bench_tools

N="${BENCH_LETTERS:-1000000}"
SECS="${BENCH_SECONDS:-10}"
CONC="${BENCH_CONCURRENCY:-16}"
ROUNDS="${BENCH_ROUNDS:-3}"
THINK="${BENCH_THINK_MS:-30}"
bench_build mailbox mailbox-bench
bench_cluster
APPPORT="$(free_port)"
export DATABASE_URL="$URL"
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

MAILBOX_DB_MAX_CONNECTIONS="${BENCH_POOL:-4}" "$BIN/mailbox" serve --port "$APPPORT" --log-level warning 2>"$PGDIR/service.log" &
SERVER_PID=$!
wait_ready "http://127.0.0.1:$APPPORT" "$SERVER_PID" "$PGDIR/service.log" || exit 1
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
export PGOPTIONS="-c jit=off -c max_parallel_workers_per_gather=0 -c random_page_cost=1.1"

# val FILE KEY: the value of KEY=value in FILE (worklist.lua's output).
val() { sed -n "s/^$2=//p" "$1"; }

# measure LABEL SCENARIO...: BENCH_ROUNDS alternating rounds of wrk on the service and pgbench on the same
# statements (alternating, so that the machine's drift reaches both sides alike), the ratio of the summed
# rates; then the latency below saturation: the same clients with BENCH_THINK_MS between requests, and
# pgbench held to the rate the service reached that way (-R).
measure() {
  local label="$1" s name query scope token rows r rps tps
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
  local wrk_args=(-t2 -c"$CONC" --timeout 10s -s deploy/bench/worklist.lua "http://127.0.0.1:$APPPORT")
  local pgb_args=(-n -h 127.0.0.1 -p "$PGPORT" -U postgres -c "$CONC" -j 2 "${pgb[@]}")
  echo "== $label: $ROUNDS rounds of ${SECS}s each side, $CONC clients, $(nproc) cores, $N letters (after a 3 s warm-up each)"
  BENCH_REQUESTS="$PGDIR/$label.tsv" wrk -d3s "${wrk_args[@]}" >/dev/null
  pgbench "${pgb_args[@]}" -T 3 mailbox >/dev/null 2>&1
  rm -f "$PGDIR/$label-pgb".*
  local sum_rps=0 sum_tps=0
  for r in $(seq 1 "$ROUNDS"); do
    BENCH_REQUESTS="$PGDIR/$label.tsv" wrk -d"${SECS}s" "${wrk_args[@]}" | grep '^worklist_' >"$PGDIR/$label-service.txt"
    pgbench "${pgb_args[@]}" -T "$SECS" -l --log-prefix="$PGDIR/$label-pgb" mailbox >"$PGDIR/$label-pgbench.txt" 2>&1
    grep -q "failed transactions: 0 " "$PGDIR/$label-pgbench.txt" || { echo "pgbench reported failures:" >&2; cat "$PGDIR/$label-pgbench.txt" >&2; exit 1; }
    local svc="$PGDIR/$label-service.txt"
    rps=$(val "$svc" worklist_requests_per_second)
    tps=$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' "$PGDIR/$label-pgbench.txt" | head -1)
    echo "round $r: service $rps requests/s (p50 $(val "$svc" worklist_p50_ms) ms, p99 $(val "$svc" worklist_p99_ms) ms," \
      "non-2xx $(val "$svc" worklist_non_2xx), errors $(val "$svc" worklist_errors))  pgbench $tps tps"
    sum_rps=$(awk -v a="$sum_rps" -v b="$rps" 'BEGIN { print a + b }')
    sum_tps=$(awk -v a="$sum_tps" -v b="$tps" 'BEGIN { print a + b }')
  done
  # pgbench's own latency percentiles over all rounds (its per-transaction log, 3rd column in µs): the floor
  # under the service's p99 on this machine at this concurrency.
  pgb_latencies "$label"
  echo "== $label pgbench latency at saturation: p50 $(pct "$PGDIR/$label-pgb-lat" 50) ms, p99 $(pct "$PGDIR/$label-pgb-lat" 99) ms"
  awk -v l="$sum_rps" -v t="$sum_tps" -v n="$label" -v r="$ROUNDS" \
    'BEGIN { printf "== %s ratio: service %.1f requests/s / pgbench %.1f tps = %.2f (mean of %d rounds)\n", n, l / r, t / r, l / t, r }'
  # Below saturation: 16 staff clients that each wait BENCH_THINK_MS between pages (the main mix only: free
  # text saturates at about a tenth of its rate, where any pause that leaves it below saturation is seconds).
  [ "$label" = main ] || return 0
  BENCH_THINK_MS="$THINK" BENCH_REQUESTS="$PGDIR/$label.tsv" wrk -d"${SECS}s" "${wrk_args[@]}" | grep '^worklist_' >"$PGDIR/$label-paced.txt"
  rps=$(val "$PGDIR/$label-paced.txt" worklist_requests_per_second)
  pgbench "${pgb_args[@]}" -T "$SECS" -R "$(printf '%.0f' "$rps")" -l --log-prefix="$PGDIR/$label-pgb" mailbox >/dev/null 2>&1
  pgb_latencies "$label"
  echo "== $label below saturation ($CONC clients, ${THINK} ms between pages): service $rps requests/s," \
    "p50 $(val "$PGDIR/$label-paced.txt" worklist_p50_ms) ms, p99 $(val "$PGDIR/$label-paced.txt" worklist_p99_ms) ms;" \
    "pgbench at that rate: p50 $(pct "$PGDIR/$label-pgb-lat" 50) ms, p99 $(pct "$PGDIR/$label-pgb-lat" 99) ms"
}
measure main "${MAIN[@]}"
measure text "${TEXT[@]}"
if [ -n "${BENCH_KEEP_DB:-}" ]; then echo "plans: EXPLAIN ANALYZE of $PGDIR/*.sql"; for f in "$PGDIR"/*.sql; do echo "-- $f"; "${PSQL[@]}" -c "EXPLAIN (ANALYZE, BUFFERS) $(cat "$f")" | head -20; done; fi
