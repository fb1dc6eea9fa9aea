#!/usr/bin/env bash
# Runs every test: the pure core's and the integration tests against a real PostgreSQL 15
# that this script installs (if missing), starts privately, and removes afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
source deploy/lib/postgres.sh

ensure_postgres_installed

# Headless Chromium and its driver from Debian, and Selenium (pinned) in a venv under .build.
BROWSER_VENV="$PWD/.build/browser-test-venv"
ensure_browser_test_tools() {
  local missing=()
  command -v chromium >/dev/null 2>&1 || missing+=(chromium)
  command -v chromedriver >/dev/null 2>&1 || missing+=(chromium-driver)
  command -v python3 >/dev/null 2>&1 || missing+=(python3)
  python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || missing+=(python3-venv)
  if [ "${#missing[@]}" -gt 0 ]; then
    echo "installing ${missing[*]} (apt)..." >&2
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-upgrade "${missing[@]}" >/dev/null
  fi
  ensure_venv "$BROWSER_VENV" Tests/browser/requirements.txt selenium
}

# The data folder must be enterable by the postgres user (not under /root).
PGTEST_DIR="$(mktemp -d /tmp/mailbox-test-pg.XXXXXX)"
chmod 755 "$PGTEST_DIR"
PGTEST_PORT="$(free_port)"
SERVE_PID=""
cleanup() {
  if [ -n "$SERVE_PID" ]; then kill "$SERVE_PID" 2>/dev/null || true; wait "$SERVE_PID" 2>/dev/null || true; fi
  stop_private_cluster "$PGTEST_DIR"
}
trap cleanup EXIT
start_private_cluster "$PGTEST_DIR" "$PGTEST_PORT"
export MAILBOX_TEST_DATABASE_URL="postgres://postgres@127.0.0.1:${PGTEST_PORT}/postgres"
echo "test PostgreSQL on 127.0.0.1:${PGTEST_PORT}"

swift build --build-tests
# Bounded: a hung test must not hold CI for its whole time limit.
timeout --kill-after=30 1800 swift test --skip-build "$@"

# The CLI end to end (only when the whole suite ran): mailbox check-text with a list file, then
# mailbox word-list import into a migrated database and check-text against the stored list.
if [ "$#" -eq 0 ]; then
  BIN="$(swift build --show-bin-path)"
  printf '# typos\n按装\t安装\n中华人民共合国 => 中华人民共和国\n' > "$PGTEST_DIR/typos.txt"
  printf '设备已按\u200b装。中华人民共合国。' > "$PGTEST_DIR/text.txt"
  check_cli() {  # expects exit 1 (findings) and both suggestions in the JSON lines
    local out="$PGTEST_DIR/findings.jsonl" rc=0
    "$BIN/mailbox" check-text "$PGTEST_DIR/text.txt" "$@" > "$out" || rc=$?
    if [ "$rc" -ne 1 ] || ! grep -q '"suggestion":"安装"' "$out" || ! grep -q '"suggestion":"中华人民共和国"' "$out"; then
      echo "mailbox check-text $* failed (exit $rc):"; cat "$out"; exit 1
    fi
  }
  check_cli --list "$PGTEST_DIR/typos.txt"
  createdb -h 127.0.0.1 -p "$PGTEST_PORT" -U postgres mailbox_cli
  export DATABASE_URL="postgres://postgres@127.0.0.1:${PGTEST_PORT}/mailbox_cli"
  "$BIN/mailbox" migrate --log-level warning >/dev/null
  "$BIN/mailbox" word-list import cli-typos "$PGTEST_DIR/typos.txt" --kind typo --log-level warning
  check_cli --list cli-typos
  "$BIN/mailbox" report --quarter 2020Q1 --as-of 2020-04-01T09:00:00+08:00 --log-level warning > "$PGTEST_DIR/report.txt"
  grep -q "区长信箱2020年一季度共收到公众来信0件" "$PGTEST_DIR/report.txt" || { echo "mailbox report failed:"; cat "$PGTEST_DIR/report.txt"; exit 1; }
  echo "CLI check-text, word-list import and report: ok"

  # The dashboard in a real browser (issue 8): headless Chromium from Debian driven by Selenium
  # signs in through the form, reads the charts and the department table, and compares every
  # number with GET /v1/reports/sla, against `mailbox serve` on the CLI database with demo letters.
  ensure_browser_test_tools
  "$BIN/mailbox" demo-data --log-level warning >/dev/null
  "$BIN/mailbox" demo generate --letters 1500 --years 1 --seed 8 --log-level warning >/dev/null 2>"$PGTEST_DIR/generate.log" \
    || { cat "$PGTEST_DIR/generate.log"; exit 1; }
  # The generator counted its letters into the report rollups itself: recount every one from
  # the raw rows and compare (exit 1 on any difference).
  "$BIN/mailbox" rollup verify --recount --log-level warning
  DASH_PASSWORD="browser-test-$RANDOM$RANDOM"
  printf '%s\n' "$DASH_PASSWORD" | MAILBOX_BCRYPT_COST=4 "$BIN/mailbox" user add dash.dispatcher --role dispatcher --password-stdin \
    --log-level warning >/dev/null
  SERVE_PORT="$(free_port)"
  "$BIN/mailbox" serve --port "$SERVE_PORT" --log-level warning > "$PGTEST_DIR/serve.log" 2>&1 &
  SERVE_PID=$!
  timeout --kill-after=10 300 "$BROWSER_VENV/bin/python" Tests/browser/dashboard_test.py \
    --base-url "http://127.0.0.1:$SERVE_PORT" --username dash.dispatcher --password "$DASH_PASSWORD" \
    --screenshot "${MAILBOX_DASHBOARD_SCREENSHOT:-$PGTEST_DIR/dashboard.png}" \
    || { echo "browser test failed; the service's log:"; tail -n 50 "$PGTEST_DIR/serve.log"; exit 1; }
  kill "$SERVE_PID"; wait "$SERVE_PID" 2>/dev/null || true; SERVE_PID=""

  # Backup and restore (issue 9): pg_dump of the CLI database (demo letters, trail, rollups),
  # restored and proven (row counts, audit verify, rollup recount, equal reports).
  MAILBOX_BIN="$BIN" timeout --kill-after=10 600 bash deploy/restore-test.sh

  # Fail fast and recover alone (issue 9): PostgreSQL and the service SIGKILLed under signed app
  # intake; every acknowledged letter exactly once (docs/operations.md).
  MAILBOX_BIN="$BIN" timeout --kill-after=10 600 bash deploy/fault-test.sh

  # Two instances behind nginx on one database (issue 9): one killed under intake; background jobs
  # run by both do each piece of work once (docs/operations.md).
  MAILBOX_BIN="$BIN" timeout --kill-after=10 600 bash deploy/multi-instance-test.sh

  # Reports and work lists from a streaming replica, and from the primary when it is gone (issue 9).
  MAILBOX_BIN="$BIN" timeout --kill-after=10 300 bash deploy/replica-test.sh

  # The API contract (issue 9): schemathesis, all checks, anonymously and as each role, zero failures.
  MAILBOX_BIN="$BIN" timeout --kill-after=10 1200 bash deploy/contract-test.sh
fi
