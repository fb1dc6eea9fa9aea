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
