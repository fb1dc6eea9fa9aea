#!/usr/bin/env bash
# Soak (issue 9; docs/performance.md "Soak"): `mailbox serve` (release build) on a private,
# durable PostgreSQL with SOAK_LETTERS generated letters (default 100,000), then SOAK_SECONDS (600)
# of mixed load from deploy/soak/soak.py with SOAK_WORKERS (16) clients: signed app intake, citizen
# lookups, the dispatcher's work list, staff reads + accept, quarterly reports. Prints per-operation
# throughput, p50/p99 and errors, and the service's memory every 10 s.
set -euo pipefail
cd "$(dirname "$0")/.."
source deploy/lib/postgres.sh
ensure_postgres_installed
swift build -c release --product mailbox >&2
BIN="$(swift build -c release --show-bin-path)"
DIR="$(mktemp -d /tmp/mailbox-soak.XXXXXX)"; chmod 755 "$DIR"
PGPORT="$(free_port)"; PORT="$(free_port)"
SERVICE=""
cleanup() { [ -n "$SERVICE" ] && kill "$SERVICE" 2>/dev/null; stop_private_cluster "$DIR/pg"; rm -rf "$DIR"; }
trap cleanup EXIT
start_private_cluster "$DIR/pg" "$PGPORT" durable
export MAILBOX_RATE_LOOKUP=0 MAILBOX_BCRYPT_COST=4
prepare_mailbox_db "$BIN" "$PGPORT"
"$BIN/mailbox" demo generate --letters "${SOAK_LETTERS:-100000}" --years 2 --seed 7 --log-level warning >/dev/null 2>&1
printf 'soak-password-1\n' | "$BIN/mailbox" user add soak.dispatcher --role dispatcher --password-stdin --log-level warning >/dev/null
"$BIN/mailbox" serve --port "$PORT" --log-level warning >"$DIR/serve.log" 2>&1 &
SERVICE=$!
wait_ready "http://127.0.0.1:$PORT" "$SERVICE" "$DIR/serve.log" || exit 1
TOKEN="$(curl -fsS -H 'Content-Type: application/json' -d '{"username":"soak.dispatcher","password":"soak-password-1"}' \
  "http://127.0.0.1:$PORT/v1/auth/login" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')"
echo "== soak: ${SOAK_SECONDS:-600} s, ${SOAK_WORKERS:-16} clients, $(nproc) cores, ${SOAK_LETTERS:-100000} letters to start"
rc=0
python3 deploy/soak/soak.py "http://127.0.0.1:$PORT" "$MAILBOX_APP_WEBHOOK_SECRET" "$TOKEN" "${SOAK_SECONDS:-600}" \
  "${SOAK_WORKERS:-16}" "$SERVICE" || rc=$?
# The service runs at --log-level warning: whatever it logged is a warning or an error; show it before cleanup.
echo "== service log: $(wc -l <"$DIR/serve.log") lines (warnings and errors)"
tail -n 40 "$DIR/serve.log"
exit "$rc"
