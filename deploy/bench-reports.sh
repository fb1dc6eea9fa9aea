#!/usr/bin/env bash
# Reports benchmark (docs/performance.md, issue 8): generates BENCH_LETTERS letters (default
# 10,000,000) with `mailbox demo generate` into a private PostgreSQL (which counts them into the
# report rollups as it writes them), checks the rollups, then times the quarterly report grouped
# by department from the rollups (p50/p99) and, in the same run, from the raw letters, and prints
# the ratio. Both must give identical figures.
#   BENCH_LETTERS (10000000)  BENCH_YEARS (letters received over the last N years; 6, the calendar covers 2019-2026)
#   BENCH_QUARTERS ("2025Q1 2026Q3")  BENCH_RUNS (50)  BENCH_RAW_RUNS (3)
#   BENCH_RECOUNT=1 also recounts every letter against its stored contribution (slow at 10M).
#   BENCH_KEEP=1 keeps the cluster (its folder and port are printed) for more queries.
set -euo pipefail
cd "$(dirname "$0")/.."
source deploy/lib/postgres.sh
source deploy/lib/bench.sh
ensure_postgres_installed

bench_build mailbox mailbox-bench
N="${BENCH_LETTERS:-10000000}"
bench_cluster durable
DATABASE_URL="$URL" "$BIN/mailbox" migrate --log-level warning >/dev/null

echo "== reports: $N letters, $(nproc) cores"
start=$(date +%s.%N)
DATABASE_URL="$URL" "$BIN/mailbox" demo-data --log-level warning >/dev/null
# The generator counts each batch's settled letters into the rollups in the batch's own
# transaction (it writes without triggers, so nothing else would).
DATABASE_URL="$URL" "$BIN/mailbox" demo generate --letters "$N" --years "${BENCH_YEARS:-6}" --seed 42 --jobs 2 \
  --log-level warning
end=$(date +%s.%N)
awk -v a="$start" -v b="$end" 'BEGIN { printf "generation with rollups %.0f s\n", b - a }'
DATABASE_URL="$URL" "$BIN/mailbox" rollup verify --log-level warning ${BENCH_RECOUNT:+--recount}
psql -X -q -A -t "$URL" -c "SELECT 'report_rollups ' || count(*) || ' rows (' || count(*) FILTER (WHERE grain = 'm') || ' month rows), '
  || pg_size_pretty(pg_total_relation_size('report_rollups')) || '; report_contributions '
  || pg_size_pretty(pg_total_relation_size('report_contributions')) FROM report_rollups"
QUARTER_ARGS=()
for q in ${BENCH_QUARTERS:-2025Q1 2026Q3}; do QUARTER_ARGS+=(--quarter "$q"); done
"$BIN/mailbox-bench" reports --database-url "$URL" "${QUARTER_ARGS[@]}" \
  --runs "${BENCH_RUNS:-50}" --raw-runs "${BENCH_RAW_RUNS:-3}"
