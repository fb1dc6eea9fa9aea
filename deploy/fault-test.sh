#!/usr/bin/env bash
# Fault test (issue 9; docs/operations.md, "Fail fast and recover alone"). Against `mailbox serve`
# on a private, durable PostgreSQL:
#   1. PostgreSQL SIGKILLed and left down: intake, public lookup and calendar answer 503
#      problem+json with Retry-After within 2 s, /readyz says not ready; restarted, the service
#      answers again by itself (no restart), and the time it took is printed.
#   2. Signed app intake under load (deploy/fault/app_load.py, retrying like the app) while
#      PostgreSQL is SIGKILLed and restarted, then while the service is SIGKILLed and restarted.
#      Afterwards every acknowledged delivery is exactly one letter, no app_letter_id made two,
#      and the background jobs run again (the deadline watch records a warning it was owed).
# Exit 0 only if all of that holds. FAULT_LOAD_SECONDS (per phase, 6), FAULT_WORKERS (8).
# MAILBOX_BIN: folder of a built `mailbox` (default: swift build, debug).
set -euo pipefail
cd "$(dirname "$0")/.."
source deploy/lib/postgres.sh
ensure_postgres_installed
if [ -z "${MAILBOX_BIN:-}" ]; then swift build --product mailbox >&2; MAILBOX_BIN="$(swift build --show-bin-path)"; fi
LOAD_SECONDS="${FAULT_LOAD_SECONDS:-6}"
WORKERS="${FAULT_WORKERS:-8}"
DIR="$(mktemp -d /tmp/mailbox-fault.XXXXXX)"
chmod 755 "$DIR"
PGPORT="$(free_port)"
SERVICE_PID=""
cleanup() {
  [ -n "$SERVICE_PID" ] && kill -9 "$SERVICE_PID" 2>/dev/null || true
  stop_private_cluster "$DIR/pg"
  rm -rf "$DIR"
}
trap cleanup EXIT
start_private_cluster "$DIR/pg" "$PGPORT" durable
export MAILBOX_DEADLINE_WATCH_SECONDS=1
export MAILBOX_RATE_INTAKE=0 MAILBOX_RATE_LOOKUP=0  # limits are not what this test is about (AbuseLimitTests)
prepare_mailbox_db "$MAILBOX_BIN" "$PGPORT"
PORT="$(free_port)"
BASE="http://127.0.0.1:$PORT"
fail() { echo "FAULT TEST FAILED: $*"; echo "--- service log (tail)"; tail -n 30 "$DIR/serve.log"; exit 1; }

start_service() {
  "$MAILBOX_BIN/mailbox" serve --port "$PORT" --log-level notice >>"$DIR/serve.log" 2>&1 &
  SERVICE_PID=$!
  wait_ready "$BASE" "$SERVICE_PID" "$DIR/serve.log" || fail "the service did not become ready"
}
# answer METHOD PATH [BODY]: prints "status seconds retry-after content-type"
answer() {
  local method="$1" path="$2" body="${3:-}" out
  out="$(curl -s -o "$DIR/body" -D "$DIR/headers" -m 10 -X "$method" -w '%{http_code} %{time_total}' \
    ${body:+-H 'Content-Type: application/json' --data-binary "$body"} "$BASE$path" || true)"
  local retry ctype
  retry="$(grep -i '^retry-after:' "$DIR/headers" | tr -d '\r' | awk '{print $2}')"
  ctype="$(grep -i '^content-type:' "$DIR/headers" | tr -d '\r' | awk '{print $2}')"
  echo "$out ${retry:--} ${ctype:--}"
}
LETTER='{"category":"consultation","title":"咨询供暖时间","body":"请问今年什么时候开始供暖？","writer_name":"张三","phone":"13800138000","publish_consent":false}'

start_service
read -r s _ <<<"$(answer POST /v1/letters "$LETTER")"
[ "$s" = 201 ] || fail "intake before the fault answered $s"

echo "== 1. PostgreSQL killed and left down"
kill_private_cluster "$DIR/pg"
sleep 0.3
for req in "POST /v1/letters" "GET /v1/public/letters/2026-0000001?code=ABCDEFGHJK" "GET /v1/calendar/days?from=2026-01-01&to=2026-01-31" "GET /readyz"; do
  read -r method path <<<"$req"
  body=""; [ "$method" = POST ] && body="$LETTER"
  read -r status secs retry ctype <<<"$(answer "$method" "$path" "$body")"
  printf '  %-58s %s in %.2f s, Retry-After %s, %s\n' "$req" "$status" "$secs" "$retry" "$ctype"
  [ "$status" = 503 ] || fail "$req answered $status, not 503"
  awk -v t="$secs" 'BEGIN { exit !(t < 2.0) }' || fail "$req took $secs s (limit 2 s)"
  if [ "$path" != /readyz ]; then
    [ "$retry" != - ] || fail "$req: no Retry-After"
    [ "$ctype" = application/problem+json ] || fail "$req: content type $ctype"
  fi
done
restart_private_cluster "$DIR/pg" "$PGPORT" || fail "PostgreSQL did not restart"
t0=$(date +%s.%N)
while true; do
  read -r s _ <<<"$(answer POST /v1/letters "$LETTER")"
  [ "$s" = 201 ] && break
  awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { exit !(b - a > 60) }' && fail "no recovery 60 s after PostgreSQL returned"
  sleep 0.1
done
awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "  recovered without a restart: intake answered 201 %.1f s after PostgreSQL was back\n", b - a }'

run_load() {  # run_load NAME FAULT-FUNCTION
  local name="$1" fault="$2"
  rm -f "$DIR/stop"
  python3 deploy/fault/app_load.py "$BASE" "$MAILBOX_APP_WEBHOOK_SECRET" "$WORKERS" "$DIR/stop" "$DIR/acked-$name.tsv" "$name" \
    >"$DIR/load-$name.json" &
  local load=$!
  sleep "$LOAD_SECONDS"
  "$fault"
  sleep "$LOAD_SECONDS"
  touch "$DIR/stop"
  wait "$load" || fail "the load driver failed"
  echo "  $name: $(cat "$DIR/load-$name.json")"
  python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if d.get("max_503_s", 0) < 2.0 and not d.get("no_retry_after") else 1)' \
    "$DIR/load-$name.json" || fail "$name: a 503 took 2 s or more, or came without Retry-After"
}
pg_fault() {
  kill_private_cluster "$DIR/pg"
  sleep 2
  restart_private_cluster "$DIR/pg" "$PGPORT" || fail "PostgreSQL did not restart"
}
service_fault() {
  kill -9 "$SERVICE_PID"
  wait "$SERVICE_PID" 2>/dev/null || true
  sleep 1
  start_service
}

echo "== 2. signed app intake under load, $WORKERS clients; PostgreSQL SIGKILLed and restarted"
run_load pgkill pg_fault
echo "== 3. the same; the service SIGKILLed and restarted"
run_load svckill service_fault

echo "== checks"
cat "$DIR"/acked-*.tsv > "$DIR/acked.tsv"
acked=$(wc -l <"$DIR/acked.tsv")
psql -X -q -A -t -h 127.0.0.1 -p "$PGPORT" -U postgres mailbox -v ON_ERROR_STOP=1 \
  -f deploy/fault/acked-checks.sql <"$DIR/acked.tsv" >"$DIR/checks.txt" || fail "checks failed"
sed 's/^/  /' "$DIR/checks.txt"
grep -q '^acknowledged but missing or another letter 0$' "$DIR/checks.txt" || fail "an acknowledged letter is missing"
grep -q '^app ids with more than one letter 0$' "$DIR/checks.txt" || fail "an app delivery made two letters"
[ "$acked" -gt 0 ] || fail "nothing was acknowledged"

# Background work resumed: the deadline watch records a warning owed by a letter whose warning time passed.
psql -X -q -h 127.0.0.1 -p "$PGPORT" -U postgres mailbox -c \
  "UPDATE letters SET warn_at = now() - interval '1 minute' WHERE id = (SELECT max(id) FROM letters WHERE channel = 'app')" >/dev/null
for i in $(seq 1 60); do
  n=$(psql -X -q -A -t -h 127.0.0.1 -p "$PGPORT" -U postgres mailbox -c \
    "SELECT count(*) FROM letter_events WHERE kind = 'sla_warning' AND letter_id = (SELECT max(id) FROM letters WHERE channel = 'app')")
  [ "$n" = 1 ] && break
  sleep 0.5
done
[ "$n" = 1 ] || fail "the deadline watch did not resume"
echo "  deadline watch resumed: the owed sla_warning recorded once"
# Personal data never reaches the log, even in the error paths this test drove (names, the phones
# the load generated, the portal letter's phone).
if grep -E -q '王五|张三|139[0-9]{8}|13800138000' "$DIR/serve.log"; then
  grep -E -m 3 '王五|张三|139[0-9]{8}|13800138000' "$DIR/serve.log"
  fail "personal data in the service log"
fi
echo "  service log ($(wc -l <"$DIR/serve.log") lines): no names or phone numbers"
echo "fault test: ok"
