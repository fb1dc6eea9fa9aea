#!/usr/bin/env bash
# Restore test (issue 9; docs/operations.md): dumps the database at DATABASE_URL with
# deploy/backup.sh, restores it into a new database on the same server, and proves the copy:
# every table has the same row count, `mailbox audit verify` passes on the hash chain, the report
# rollups equal a recount of every letter (`mailbox rollup verify --recount`), and a report from
# the restored database equals the original's. Then it tampers with the dump and checks that
# restore refuses it. Needs MAILBOX_BIN (folder of a built mailbox).
set -euo pipefail
cd "$(dirname "$0")/.."
: "${DATABASE_URL:?the database to back up}"
: "${MAILBOX_BIN:?folder of a built mailbox}"
WORK="$(mktemp -d /tmp/mailbox-restore.XXXXXX)"
trap 'rm -rf "$WORK"' EXIT
base="${DATABASE_URL%/*}"
copy="mailbox_restore_$$"
restored="$base/$copy"
psql -X -q "$DATABASE_URL" -c "CREATE DATABASE $copy" >/dev/null
cleanup_db() { psql -X -q "$DATABASE_URL" -c "DROP DATABASE IF EXISTS $copy" >/dev/null 2>&1 || true; rm -rf "$WORK"; }
trap cleanup_db EXIT

bash deploy/backup.sh dump "$DATABASE_URL" "$WORK/mailbox.dump"
bash deploy/backup.sh restore "$WORK/mailbox.dump" "$restored"

counts() {
  psql -X -q -A -t "$1" -c "SELECT string_agg(t, ' ' ORDER BY t) FROM (
    SELECT c.relname || '=' || (xpath('/row/n/text()', query_to_xml('SELECT count(*) AS n FROM public.' || quote_ident(c.relname), false, true, '')))[1]::text AS t
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind = 'r') x"
}
a="$(counts "$DATABASE_URL")"; b="$(counts "$restored")"
[ "$a" = "$b" ] || { echo "row counts differ:"; echo " original: $a"; echo " restored: $b"; exit 1; }
echo "row counts equal in $(wc -w <<<"$a") tables ($(grep -o 'letters=[0-9]*' <<<"$a" | head -1))"
DATABASE_URL="$restored" "$MAILBOX_BIN/mailbox" audit verify --log-level warning
DATABASE_URL="$restored" "$MAILBOX_BIN/mailbox" rollup verify --recount --log-level warning
q="--from 2025-01-01 --to 2026-12-31 --as-of 2026-11-30T12:00:00+08:00 --format json --log-level warning"
cmp <(DATABASE_URL="$DATABASE_URL" "$MAILBOX_BIN/mailbox" report $q) <(DATABASE_URL="$restored" "$MAILBOX_BIN/mailbox" report $q) \
  || { echo "the restored database reports differently"; exit 1; }
echo "report from the restored database equals the original's"

# A damaged dump is refused before anything is written.
psql -X -q "$DATABASE_URL" -c "DROP DATABASE $copy" -c "CREATE DATABASE $copy" >/dev/null
printf 'x' | dd of="$WORK/mailbox.dump" bs=1 seek=200 conv=notrunc 2>/dev/null
if bash deploy/backup.sh restore "$WORK/mailbox.dump" "$restored" 2>/dev/null; then
  echo "a damaged dump was restored"; exit 1
fi
echo "restore test: ok (a damaged dump is refused)"
