#!/usr/bin/env bash
# Several instances behind nginx on one database (issue 9; docs/operations.md, "Several instances").
# Two `mailbox serve` instances share a private PostgreSQL behind nginx (least_conn, X-Real-IP).
# Signed app intake runs through nginx with 8 clients; one instance is SIGKILLed midway and
# restarted. Then: every acknowledged delivery is exactly one letter, both instances served
# requests, and the background jobs, which both instances run, did their work exactly once: 200
# letters made due for a warning get one sla_warning event each (not two), the report rollups
# equal a recount. Installs nginx (nginx-light) when missing. MAILBOX_BIN: folder of a built mailbox.
set -euo pipefail
cd "$(dirname "$0")/.."
source deploy/lib/postgres.sh
ensure_postgres_installed
if ! command -v nginx >/dev/null 2>&1; then
  apt-get update -qq >/dev/null && apt-get install -y -qq --no-upgrade nginx-light >/dev/null
  systemctl stop nginx 2>/dev/null || service nginx stop 2>/dev/null || true
fi
if [ -z "${MAILBOX_BIN:-}" ]; then swift build --product mailbox >&2; MAILBOX_BIN="$(swift build --show-bin-path)"; fi
DIR="$(mktemp -d /tmp/mailbox-multi.XXXXXX)"
chmod 755 "$DIR"
PGPORT="$(free_port)"
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  [ -f "$DIR/nginx.pid" ] && kill "$(cat "$DIR/nginx.pid")" 2>/dev/null || true
  stop_private_cluster "$DIR/pg"
  rm -rf "$DIR"
}
trap cleanup EXIT
fail() { echo "MULTI-INSTANCE TEST FAILED: $*"; tail -n 20 "$DIR"/serve-*.log; exit 1; }
start_private_cluster "$DIR/pg" "$PGPORT" durable
PSQL=(psql -X -q -A -t -h 127.0.0.1 -p "$PGPORT" -U postgres mailbox)
export MAILBOX_DEADLINE_WATCH_SECONDS=1 MAILBOX_ROLLUP_SECONDS=1 MAILBOX_TRUST_PROXY=1
prepare_mailbox_db "$MAILBOX_BIN" "$PGPORT"
PORT_A="$(free_port)"; PORT_B="$(free_port)"; PORT_N="$(free_port)"

start_instance() {  # start_instance NAME PORT -> sets LAST_PID
  "$MAILBOX_BIN/mailbox" serve --port "$2" --log-level info >>"$DIR/serve-$1.log" 2>&1 &
  LAST_PID=$!
  PIDS+=("$LAST_PID")
  wait_ready "http://127.0.0.1:$2" "$LAST_PID" "$DIR/serve-$1.log" || fail "instance $1 did not become ready"
}
start_instance a "$PORT_A"; PID_A=$LAST_PID
start_instance b "$PORT_B"

mkdir -p "$DIR/nginx-tmp"
cat >"$DIR/nginx.conf" <<CONF
worker_processes 1;
pid $DIR/nginx.pid;
error_log $DIR/nginx-error.log warn;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path $DIR/nginx-tmp/body; proxy_temp_path $DIR/nginx-tmp/proxy;
  fastcgi_temp_path $DIR/nginx-tmp/fcgi; uwsgi_temp_path $DIR/nginx-tmp/uwsgi; scgi_temp_path $DIR/nginx-tmp/scgi;
  upstream mailbox { least_conn; server 127.0.0.1:$PORT_A max_fails=1 fail_timeout=3s; server 127.0.0.1:$PORT_B max_fails=1 fail_timeout=3s; keepalive 16; }
  server {
    listen 127.0.0.1:$PORT_N;
    proxy_http_version 1.1; proxy_set_header Connection ""; proxy_set_header X-Real-IP \$remote_addr;
    proxy_connect_timeout 1s; proxy_next_upstream error timeout; proxy_next_upstream_tries 2;
    location / { proxy_pass http://mailbox; }
  }
}
CONF
nginx -p "$DIR" -c "$DIR/nginx.conf" || fail "nginx did not start"
BASE="http://127.0.0.1:$PORT_N"
for i in $(seq 1 50); do curl -fs "$BASE/readyz" >/dev/null 2>&1 && break; sleep 0.1; done

echo "== intake through nginx to two instances, 8 clients; instance a SIGKILLed midway and restarted"
rm -f "$DIR/stop"
python3 deploy/fault/app_load.py "$BASE" "$MAILBOX_APP_WEBHOOK_SECRET" 8 "$DIR/stop" "$DIR/acked.tsv" multi >"$DIR/load.json" &
LOAD=$!
sleep "${MULTI_LOAD_SECONDS:-5}"
kill -9 "$PID_A"; wait "$PID_A" 2>/dev/null || true
sleep 2
start_instance a "$PORT_A"
sleep "${MULTI_LOAD_SECONDS:-5}"
touch "$DIR/stop"; wait "$LOAD" || fail "the load driver failed"
echo "  load: $(cat "$DIR/load.json")"
served_a=$(grep -c '"http.status":"20[01]"' "$DIR/serve-a.log" || true)
served_b=$(grep -c '"http.status":"20[01]"' "$DIR/serve-b.log" || true)
echo "  2xx answers logged: instance a $served_a, instance b $served_b"
[ "$served_a" -gt 0 ] && [ "$served_b" -gt 0 ] || fail "one instance served nothing"

acked=$(wc -l <"$DIR/acked.tsv")
"${PSQL[@]}" -v ON_ERROR_STOP=1 <<SQL >"$DIR/checks.txt" || fail "checks failed"
CREATE TEMP TABLE acked (app_id text, tracking text);
\copy acked FROM '$DIR/acked.tsv'
SELECT 'missing ' || count(*) FROM acked a
  LEFT JOIN letters l ON l.channel = 'app' AND l.channel_ref = a.app_id AND l.tracking_no = a.tracking WHERE l.id IS NULL;
SELECT 'doubled ' || count(*) FROM (SELECT channel_ref FROM letters WHERE channel = 'app' GROUP BY channel_ref HAVING count(*) > 1) d;
SQL
grep -q '^missing 0$' "$DIR/checks.txt" && grep -q '^doubled 0$' "$DIR/checks.txt" || { cat "$DIR/checks.txt"; fail "acknowledged letters missing or doubled"; }
echo "  $acked acknowledged deliveries: each exactly one letter"

echo "== background jobs on both instances: each owed warning recorded once"
"${PSQL[@]}" -c "UPDATE letters SET warn_at = now() - interval '1 minute'
  WHERE id IN (SELECT id FROM letters WHERE channel = 'app' AND sla_state = 'running' ORDER BY id LIMIT 200)" >/dev/null
for i in $(seq 1 60); do
  n=$("${PSQL[@]}" -c "SELECT count(DISTINCT letter_id) FROM letter_events WHERE kind = 'sla_warning'")
  [ "$n" -ge 200 ] && break
  sleep 0.5
done
sleep 2  # both watchers had further rounds
read -r letters events <<<"$("${PSQL[@]}" -F ' ' -c "SELECT count(DISTINCT letter_id), count(*) FROM letter_events WHERE kind = 'sla_warning'")"
echo "  sla_warning: $letters letters, $events events"
[ "$letters" = 200 ] && [ "$events" = 200 ] || fail "warnings missing or doubled"
"$MAILBOX_BIN/mailbox" rollup verify --recount --log-level warning | sed 's/^/  /'
echo "multi-instance test: ok"
