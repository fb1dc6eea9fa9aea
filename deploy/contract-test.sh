#!/usr/bin/env bash
# Contract test (issue 9, "Contract fidelity"; docs/operations.md). schemathesis (PyPI, pinned in
# deploy/contract/requirements.txt) fuzzes `mailbox serve` against docs/openapi.yaml with every
# check on, once anonymously and once signed in as each role (dispatcher, handler, lead, admin,
# auditor). Exit 0 only when every run reports zero failures.
# CONTRACT_EXAMPLES (per operation and phase, default 5), CONTRACT_SEED (default 1),
# One worker: hypothesis under threads trips a CPython 3.11 ast bug ("recursion depth mismatch").
# MAILBOX_BIN: folder of a built `mailbox` (default: swift build, debug).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
source deploy/lib/postgres.sh
ensure_postgres_installed
if [ -z "${MAILBOX_BIN:-}" ]; then swift build --product mailbox >&2; MAILBOX_BIN="$(swift build --show-bin-path)"; fi
VENV="$PWD/.build/contract-test-venv"
ensure_venv "$VENV" deploy/contract/requirements.txt schemathesis
DIR="$(mktemp -d /tmp/mailbox-contract.XXXXXX)"
chmod 755 "$DIR"
PGPORT="$(free_port)"
SERVICE_PID=""
cleanup() {
  [ -n "$SERVICE_PID" ] && kill "$SERVICE_PID" 2>/dev/null || true
  stop_private_cluster "$DIR/pg"
  rm -rf "$DIR"
}
trap cleanup EXIT
start_private_cluster "$DIR/pg" "$PGPORT"
export MAILBOX_BCRYPT_COST=4
# The limits answer 429 by design (AbuseLimitTests); a fuzzer would only measure them.
export MAILBOX_RATE_INTAKE=0 MAILBOX_RATE_LOOKUP=0 MAILBOX_RATE_RATING=0 MAILBOX_RATE_CODE_GUESSES=0
prepare_mailbox_db "$MAILBOX_BIN" "$PGPORT"
M() { "$MAILBOX_BIN/mailbox" "$@" --log-level warning; }
PASSWORD="contract-password-1"
for role in dispatcher handler lead admin auditor; do
  dept=(); case "$role" in handler|lead) dept=(--department education);; esac
  printf '%s\n' "$PASSWORD" | M user add "st.$role" --role "$role" "${dept[@]}" --password-stdin >/dev/null
done
PORT="$(free_port)"
BASE="http://127.0.0.1:$PORT"
"$MAILBOX_BIN/mailbox" serve --port "$PORT" --log-level warning >"$DIR/serve.log" 2>&1 &
SERVICE_PID=$!
wait_ready "$BASE" "$SERVICE_PID" "$DIR/serve.log" || { echo "service did not become ready"; exit 1; }

EXAMPLES="${CONTRACT_EXAMPLES:-5}"
SEED="${CONTRACT_SEED:-1}"
run_schemathesis() {  # <label> [schemathesis options...]; its output in $DIR/st-<label>.log, "failed" in $DIR/st-<label>.failed
  local label="$1"; shift
  # In its own folder: schemathesis keeps a cache of past failures (.schemathesis/) in the working directory.
  mkdir -p "$DIR/st-$label"
  (cd "$DIR/st-$label" && SCHEMATHESIS_HOOKS="$ROOT/deploy/contract/hooks.py" "$VENV/bin/schemathesis" --no-color \
      --config-file "$ROOT/deploy/contract/schemathesis.toml" run "$ROOT/docs/openapi.yaml" \
      --url "$BASE" --checks all --max-examples "$EXAMPLES" --seed "$SEED" --workers 1 --request-timeout 10 \
      --suppress-health-check all "$@") >"$DIR/st-$label.log" 2>&1 || touch "$DIR/st-$label.failed"
}
# Sessions first: the fuzzer's failed sign-ins soon make the address wait (429).
declare -A TOKENS
for role in dispatcher handler lead auditor admin; do
  TOKENS[$role]="$(curl -fsS -H 'Content-Type: application/json' -d "{\"username\":\"st.$role\",\"password\":\"$PASSWORD\"}" \
    "$BASE/v1/auth/login" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')"
done
# Logout would end the run's own session (AuthTests cover it). Two streams use both cores; the
# admin runs last in its stream (it may change accounts, departments and the calendar).
as_role() { run_schemathesis "$1" -H "Authorization: Bearer ${TOKENS[$1]}" --exclude-path-regex '^/v1/auth/logout$'; }
(run_schemathesis anonymous --exclude-path-regex '^/v1/auth/logout$'; as_role dispatcher; as_role handler) &
STREAM=$!
as_role lead; as_role auditor; as_role admin
wait "$STREAM"
FAILED=()
for label in anonymous dispatcher handler lead auditor admin; do
  echo "== schemathesis as $label"
  if [ -e "$DIR/st-$label.failed" ]; then
    FAILED+=("$label"); cat "$DIR/st-$label.log"
  else
    grep -E "passed|failed|Seed|No issues found" "$DIR/st-$label.log" | tail -n 6
  fi
done
if grep -qE '"level":"(error|critical)"|Fatal error' "$DIR/serve.log"; then
  echo "service logged errors:"; grep -E '"level":"(error|critical)"|Fatal error' "$DIR/serve.log" | head -n 20
  FAILED+=("service-log")
fi
if [ "${#FAILED[@]}" -gt 0 ]; then echo "CONTRACT TEST FAILED: ${FAILED[*]}"; exit 1; fi
echo "contract test passed: zero failures anonymously and as each role"
