#!/usr/bin/env bash
# Quick start: installs what is missing (PostgreSQL 15 via apt), builds, and serves on
# http://127.0.0.1:8080 with a private PostgreSQL cluster under ./.mailbox-data (created on the
# first run, reused after, stopped with the service) unless DATABASE_URL is set.
# Extra arguments go to `mailbox serve` (e.g. --port 9090).
set -euo pipefail
cd "$(dirname "$0")/.."
source deploy/lib/postgres.sh

ensure_postgres_installed
if ! command -v swift >/dev/null 2>&1; then
  echo "A Swift 6 toolchain is required (https://www.swift.org/install/linux/)." >&2
  exit 1
fi
swift build -c release --product mailbox
BIN="$(swift build -c release --show-bin-path)"

# Development defaults; set real secrets in production (docs/configuration.md).
export MAILBOX_APP_WEBHOOK_SECRET="${MAILBOX_APP_WEBHOOK_SECRET:-dev-webhook-secret}"
DEV_ADMIN_PASSWORD="${MAILBOX_DEV_ADMIN_PASSWORD:-dev-admin-password}"
# A development admin account (created once; kept, with its password, on later runs).
"$BIN/mailbox" migrate >/dev/null
"$BIN/mailbox" demo-data >/dev/null
printf '%s\n' "$DEV_ADMIN_PASSWORD" | "$BIN/mailbox" user add admin --role admin --if-missing --password-stdin >&2
cat >&2 <<MSG
District Mailbox on http://127.0.0.1:${PORT:-8080}  (Ctrl-C stops it and its database)
  development admin: admin / $DEV_ADMIN_PASSWORD   (sign in: POST /v1/auth/login)
  app webhook secret: $MAILBOX_APP_WEBHOOK_SECRET
  more accounts: $BIN/mailbox user add NAME --role dispatcher|handler|lead|auditor [--department ID]
  try: curl -s localhost:${PORT:-8080}/readyz ; the contract: localhost:${PORT:-8080}/openapi.yaml
MSG
exec "$BIN/mailbox" serve "$@"
