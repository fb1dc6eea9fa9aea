#!/usr/bin/env bash
# Runs every test: the pure core's and the integration tests against a real PostgreSQL 15
# that this script installs (if missing), starts privately, and removes afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
source deploy/lib/postgres.sh

ensure_postgres_installed

# The data folder must be enterable by the postgres user (not under /root).
PGTEST_DIR="$(mktemp -d /tmp/mailbox-test-pg.XXXXXX)"
chmod 755 "$PGTEST_DIR"
PGTEST_PORT="$(free_port)"
cleanup() { stop_private_cluster "$PGTEST_DIR"; }
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
fi
