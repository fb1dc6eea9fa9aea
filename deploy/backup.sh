#!/usr/bin/env bash
# Backup of the mailbox database (docs/operations.md, "Backup and restore"):
#   deploy/backup.sh dump    DATABASE_URL FILE   pg_dump custom format (-Fc), consistent snapshot, no
#                                                  downtime; FILE.sha256 beside it
#   deploy/backup.sh restore FILE DATABASE_URL   pg_restore into an EMPTY database (created beforehand),
#                                                  checksum checked first, one transaction, stops on the
#                                                  first error
# After a restore, `mailbox audit verify` and `mailbox rollup verify --recount` prove the trail and
# the report rollups (deploy/restore-test.sh does all of it).
set -euo pipefail
cmd="${1:-}"
case "$cmd" in
  dump)
    url="${2:?DATABASE_URL}"; file="${3:?FILE}"
    pg_dump --format=custom --compress=6 --no-owner --no-privileges --file="$file.partial" "$url"
    mv "$file.partial" "$file"
    sha256sum "$file" | cut -d' ' -f1 >"$file.sha256"
    echo "dumped to $file ($(du -h "$file" | cut -f1), sha256 $(cat "$file.sha256"))"
    ;;
  restore)
    file="${2:?FILE}"; url="${3:?DATABASE_URL}"
    if [ -f "$file.sha256" ] && [ "$(sha256sum "$file" | cut -d' ' -f1)" != "$(cat "$file.sha256")" ]; then
      echo "checksum mismatch: $file is not the file that was dumped" >&2; exit 1
    fi
    if [ "$(psql -X -q -A -t "$url" -c "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")" != 0 ]; then
      echo "refusing to restore into a database that has tables: create an empty one" >&2; exit 1
    fi
    pg_restore --no-owner --no-privileges --single-transaction --exit-on-error --dbname="$url" "$file"
    echo "restored $file"
    ;;
  *)
    echo "usage: $0 dump DATABASE_URL FILE | restore FILE DATABASE_URL" >&2; exit 2 ;;
esac
