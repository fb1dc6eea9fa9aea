#!/usr/bin/env bash
# Failover test (issue 9; docs/operations.md, "High availability: failover"). On loopback:
# single-node etcd, two PostgreSQL 15 nodes managed by Patroni in synchronous mode, HAProxy in front
# (routes only to the node whose Patroni REST API answers 200 on /primary), `mailbox serve` with
# DATABASE_URL pointing at HAProxy.
#   1. Waits for a leader and a streaming synchronous standby; migrates and serves through HAProxy.
#   2. Signed app intake under load (deploy/fault/app_load.py, retrying like the app); a few
#      seconds in, the leader is SIGKILLed like a lost machine: its Patroni, its postmaster and
#      the postmaster's children, so nothing restarts it locally.
#   3. Times until HAProxy reaches a writable new leader and until intake answers 201 again,
#      without restarting the service.
#   4. Checks on the new leader: every acknowledged delivery is exactly the letter its answer
#      named, no app_letter_id made two letters, the new leader is the former standby, /readyz is
#      ready again, and the only non-2xx answers were 503s with Retry-After.
# Exit 0 only if all of that holds. FAILOVER_LOAD_SECONDS (25), FAILOVER_WORKERS (8),
# FAILOVER_KILL_AFTER (seconds into the load, 5). Installs patroni, etcd-server and haproxy
# (Debian) when missing. MAILBOX_BIN: folder of a built `mailbox` (default: swift build, debug).
set -euo pipefail
cd "$(dirname "$0")/.."
source deploy/lib/postgres.sh
ensure_postgres_installed
if ! dpkg -s patroni etcd-server haproxy >/dev/null 2>&1; then
  echo "installing patroni, etcd-server, haproxy (apt)..." >&2
  export DEBIAN_FRONTEND=noninteractive
  (apt-get update -qq && apt-get install -y -qq --no-upgrade patroni etcd-server haproxy) >/dev/null
  # The packages may start their own services (system configs, ports 2379/2380); this test runs
  # private instances on free ports and does not use them.
  for s in etcd haproxy patroni; do
    systemctl disable --now "$s" >/dev/null 2>&1 || service "$s" stop >/dev/null 2>&1 || true
  done
fi
if [ -z "${MAILBOX_BIN:-}" ]; then swift build --product mailbox >&2; MAILBOX_BIN="$(swift build --show-bin-path)"; fi
LOAD_SECONDS="${FAILOVER_LOAD_SECONDS:-25}"
WORKERS="${FAILOVER_WORKERS:-8}"
KILL_AFTER="${FAILOVER_KILL_AFTER:-5}"
RECOVERY_LIMIT=60  # seconds from the kill until intake must answer 201 again
DIR="$(mktemp -d /tmp/mailbox-failover.XXXXXX)"
chmod 755 "$DIR"

PORTS=" "
new_port() {  # new_port VAR: a free port not handed out before in this run
  local p
  while true; do p="$(free_port)"; case "$PORTS" in *" $p "*) ;; *) break ;; esac; done
  PORTS="$PORTS$p "
  printf -v "$1" %s "$p"
}
new_port ETCD_CLIENT; new_port ETCD_PEER; new_port REST1; new_port REST2
new_port PG1; new_port PG2; new_port HAPORT; new_port PORT
declare -A REST=([node1]="$REST1" [node2]="$REST2") PGP=([node1]="$PG1" [node2]="$PG2")

ETCD_PID="" HAPROXY_PID="" SERVICE_PID="" LOAD_PID=""
stop_pid() {  # stop_pid PID [SIGNAL]: signal a process we started and reap it
  local pid="$1" sig="${2:-TERM}" i
  [ -n "$pid" ] || return 0
  kill -"$sig" "$pid" 2>/dev/null || return 0
  for i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
cleanup() {
  set +e
  stop_pid "$LOAD_PID" 9
  stop_pid "$SERVICE_PID"
  stop_pid "$HAPROXY_PID"
  local n pm
  for n in node1 node2; do  # Patroni first (SIGKILL: it must not restart PostgreSQL), then PostgreSQL
    [ -s "$DIR/$n/patroni.pid" ] && stop_pid "$(cat "$DIR/$n/patroni.pid")" 9
  done
  for n in node1 node2; do
    if [ -f "$DIR/$n/data/postmaster.pid" ]; then
      pm="$(head -1 "$DIR/$n/data/postmaster.pid")"
      if kill -0 "$pm" 2>/dev/null; then
        as_postgres "$PG_BIN/pg_ctl" -D "$DIR/$n/data" -m immediate -w -t 30 stop >/dev/null 2>&1 || kill -9 "$pm" 2>/dev/null
      fi
    fi
  done
  stop_pid "$ETCD_PID"
  # Anything still running from this run's folder (nothing, normally) is a bug of this script.
  local left
  left="$(pgrep -f -- "$DIR" || true)"
  if [ -n "$left" ]; then
    echo "failover test: stray processes after cleanup, killing: $(echo $left)" >&2
    kill -9 $left 2>/dev/null
  fi
  rm -rf "$DIR"
}
trap cleanup EXIT
fail() {
  echo "FAILOVER TEST FAILED: $*"
  for f in serve.log node1/patroni.log node2/patroni.log haproxy.log; do
    [ -f "$DIR/$f" ] && { echo "--- $f (tail)"; tail -n 25 "$DIR/$f"; }
  done
  exit 1
}
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
older() { awk -v a="$1" -v b="$(now)" -v s="$2" 'BEGIN { exit !(b - a > s) }'; }  # older T0 SECONDS
cluster() { curl -fs -m 3 "http://127.0.0.1:$REST1/cluster" 2>/dev/null || curl -fs -m 3 "http://127.0.0.1:$REST2/cluster" 2>/dev/null || true; }
# role_of ROLE: the member with that role in Patroni's /cluster (leader, sync_standby, replica), if any
role_of() {
  cluster | python3 -c 'import json,sys
try: d = json.load(sys.stdin)
except Exception: sys.exit(0)
for m in d.get("members", []):
    if m.get("role") == sys.argv[1] and m.get("state") in ("running", "streaming"): print(m["name"])' "$1"
}
psql_at() { local p="$1"; shift; PGCONNECT_TIMEOUT=3 psql -X -q -A -t -h 127.0.0.1 -p "$p" -U postgres "$@"; }

echo "== etcd, 2 Patroni nodes (synchronous mode), HAProxy on loopback"
etcd --name failover --data-dir "$DIR/etcd" \
  --listen-client-urls "http://127.0.0.1:$ETCD_CLIENT" --advertise-client-urls "http://127.0.0.1:$ETCD_CLIENT" \
  --listen-peer-urls "http://127.0.0.1:$ETCD_PEER" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER" \
  --initial-cluster "failover=http://127.0.0.1:$ETCD_PEER" --initial-cluster-state new \
  --logger zap --log-level warn >"$DIR/etcd.log" 2>&1 &
ETCD_PID=$!
for i in $(seq 1 100); do curl -fs -m 2 "http://127.0.0.1:$ETCD_CLIENT/health" 2>/dev/null | grep -q '"health":"true"' && break; sleep 0.2; done
curl -fs -m 2 "http://127.0.0.1:$ETCD_CLIENT/health" | grep -q '"health":"true"' || { cat "$DIR/etcd.log"; fail "etcd did not start"; }

# Short timings so that failover takes seconds: the leader key lives ttl s after the leader's
# last loop; loop_wait + 2 * retry_timeout must stay within ttl.
write_patroni_config() {  # NAME
  local n="$1"
  mkdir -p "$DIR/$n"
  cat >"$DIR/$n/patroni.yml" <<YAML
scope: mailbox-failover
namespace: /mailbox-failover/
name: $n
log:
  level: INFO
restapi:
  listen: 127.0.0.1:${REST[$n]}
  connect_address: 127.0.0.1:${REST[$n]}
etcd3:
  hosts: 127.0.0.1:$ETCD_CLIENT
bootstrap:
  dcs:
    ttl: 10
    loop_wait: 1
    retry_timeout: 4
    maximum_lag_on_failover: 1048576
    synchronous_mode: true
    synchronous_mode_strict: false
    postgresql:
      use_pg_rewind: false
      use_slots: true
      parameters:
        max_connections: 200
        wal_level: replica
        hot_standby: "on"
        max_wal_senders: 10
        max_replication_slots: 10
        wal_keep_size: 256MB
        synchronous_commit: "on"
        timezone: UTC
  initdb:
    - encoding: UTF8
    - locale: C
postgresql:
  listen: 127.0.0.1:${PGP[$n]}
  connect_address: 127.0.0.1:${PGP[$n]}
  data_dir: $DIR/$n/data
  bin_dir: $PG_BIN
  pgpass: $DIR/$n/pgpass
  authentication:
    superuser:
      username: postgres
      password: failover-test
    replication:
      username: replicator
      password: failover-test
  parameters:
    unix_socket_directories: $DIR/sock
  pg_hba:
    - local all all trust
    - host all all 127.0.0.1/32 trust
    - host replication all 127.0.0.1/32 trust
watchdog:
  mode: "off"
tags:
  nofailover: false
  noloadbalance: false
  clonefrom: false
  nosync: false
YAML
  if [ "$(id -u)" -eq 0 ]; then chown -R postgres:postgres "$DIR/$n"; fi
  chmod 700 "$DIR/$n"
}
start_patroni() {  # NAME: Patroni as the postgres user; its pid (exec'd, not runuser's) in NAME/patroni.pid
  local n="$1"
  as_postgres bash -c 'echo $$ >"$1"; exec patroni "$2"' _ "$DIR/$n/patroni.pid" "$DIR/$n/patroni.yml" \
    >>"$DIR/$n/patroni.log" 2>&1 &
}
cat >"$DIR/haproxy.cfg" <<CFG
global
  maxconn 1000
defaults
  mode tcp
  retries 2
  timeout connect 2s
  timeout client 30m
  timeout server 30m
  timeout check 2s
listen postgres
  bind 127.0.0.1:$HAPORT
  option httpchk GET /primary
  http-check expect status 200
  default-server inter 1s fall 2 rise 2 on-marked-down shutdown-sessions
  server node1 127.0.0.1:$PG1 maxconn 300 check port $REST1
  server node2 127.0.0.1:$PG2 maxconn 300 check port $REST2
CFG
haproxy -c -q -f "$DIR/haproxy.cfg" || fail "haproxy rejected its configuration"

write_patroni_config node1
write_patroni_config node2
mkdir -p "$DIR/sock"; if [ "$(id -u)" -eq 0 ]; then chown postgres:postgres "$DIR/sock"; fi
alive() { [ -s "$DIR/$1/patroni.pid" ] && kill -0 "$(cat "$DIR/$1/patroni.pid")" 2>/dev/null; }
start_patroni node1
t0="$(now)"
until [ "$(role_of leader)" = node1 ]; do
  older "$t0" 120 && fail "node1 did not bootstrap a leader within 120 s"
  if older "$t0" 3 && ! alive node1; then fail "Patroni on node1 exited"; fi
  sleep 0.5
done
start_patroni node2
haproxy -db -f "$DIR/haproxy.cfg" >"$DIR/haproxy.log" 2>&1 &
HAPROXY_PID=$!
t0="$(now)"
until [ "$(role_of sync_standby)" = node2 ] &&
  [ "$(psql_at "$PG1" -c "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming' AND sync_state = 'sync'" 2>/dev/null)" = 1 ]; do
  older "$t0" 180 && fail "node2 did not become a streaming synchronous standby within 180 s"
  if older "$t0" 3 && ! alive node2; then fail "Patroni on node2 exited"; fi
  sleep 0.5
done
# HAProxy must route to the leader only: a few answers in a row from a server not in recovery.
ok=0
t0="$(now)"
while [ "$ok" -lt 5 ]; do
  if [ "$(psql_at "$HAPORT" -c 'SELECT pg_is_in_recovery()' 2>/dev/null)" = f ]; then ok=$((ok + 1)); else ok=0; fi
  older "$t0" 60 && fail "HAProxy does not route to the leader"
  sleep 0.3
done
echo "  leader node1 (PostgreSQL :$PG1), synchronous standby node2 (:$PG2) streaming; HAProxy :$HAPORT -> leader"
command -v patronictl >/dev/null && patronictl -c "$DIR/node1/patroni.yml" list 2>/dev/null | sed 's/^/  /' || true

export MAILBOX_DEADLINE_WATCH_SECONDS=1
export MAILBOX_RATE_INTAKE=0 MAILBOX_RATE_LOOKUP=0  # limits are not what this test is about (AbuseLimitTests)
prepare_mailbox_db "$MAILBOX_BIN" "$HAPORT"
BASE="http://127.0.0.1:$PORT"
"$MAILBOX_BIN/mailbox" serve --port "$PORT" --log-level notice >>"$DIR/serve.log" 2>&1 &
SERVICE_PID=$!
wait_ready "$BASE" "$SERVICE_PID" "$DIR/serve.log" || fail "the service did not become ready"
LETTER='{"category":"consultation","title":"咨询供暖时间","body":"请问今年什么时候开始供暖？","writer_name":"张三","phone":"13800138000","publish_consent":false}'
intake_status() { curl -s -o /dev/null -m 5 -w '%{http_code}' -H 'Content-Type: application/json' --data-binary "$LETTER" "$BASE/v1/letters" || true; }
[ "$(intake_status)" = 201 ] || fail "intake before the failover did not answer 201"

echo "== signed app intake, $WORKERS clients for ${LOAD_SECONDS} s; the leader SIGKILLed after ${KILL_AFTER} s"
OLD_LEADER="$(role_of leader)"; NEW_LEADER="$(role_of sync_standby)"
[ "$OLD_LEADER" = node1 ] && [ "$NEW_LEADER" = node2 ] || fail "before the load: leader '$OLD_LEADER', sync standby '$NEW_LEADER'"
patroni_pid="$(cat "$DIR/$OLD_LEADER/patroni.pid")"
postmaster_pid="$(head -1 "$DIR/$OLD_LEADER/data/postmaster.pid")"
python3 deploy/fault/app_load.py "$BASE" "$MAILBOX_APP_WEBHOOK_SECRET" "$WORKERS" "$DIR/stop" "$DIR/acked.tsv" failover \
  >"$DIR/load.json" &
LOAD_PID=$!
load_start="$(now)"
sleep "$KILL_AFTER"
[ "$(psql_at "${PGP[$OLD_LEADER]}" -c "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming' AND sync_state = 'sync'")" = 1 ] ||
  fail "the standby was not synchronous at the kill"
# A lost machine: Patroni, the postmaster and every PostgreSQL process of the leader, at once
# (a backend may end by itself between pgrep and kill).
children="$(pgrep -P "$postmaster_pid" || true)"
kill -9 "$patroni_pid" "$postmaster_pid" $children 2>/dev/null || true
t_kill="$(now)"
for p in "$patroni_pid" "$postmaster_pid" $children; do
  for i in $(seq 1 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$p" 2>/dev/null; then fail "process $p of the killed leader is still alive"; fi
done
echo "  $(since "$load_start") s into the load: SIGKILLed $OLD_LEADER (Patroni $patroni_pid, postmaster $postmaster_pid, $(echo $children | wc -w) backends/workers)"

# Recovery: a writable leader behind HAProxy, then intake answering 201 through the same service.
promoted_s="" db_s="" svc_s=""
while [ -z "$promoted_s" ] || [ -z "$db_s" ] || [ -z "$svc_s" ]; do
  if [ -z "$promoted_s" ] && [ "$(role_of leader)" = "$NEW_LEADER" ]; then promoted_s="$(since "$t_kill")"; fi
  if [ -z "$db_s" ] && [ "$(psql_at "$HAPORT" -c 'SELECT pg_is_in_recovery()' 2>/dev/null)" = f ]; then db_s="$(since "$t_kill")"; fi
  if [ -z "$svc_s" ] && [ "$(intake_status)" = 201 ]; then svc_s="$(since "$t_kill")"; fi
  if older "$t_kill" "$RECOVERY_LIMIT"; then
    fail "no recovery within $RECOVERY_LIMIT s of the kill (promoted: ${promoted_s:-no}; writable leader behind HAProxy: ${db_s:-no}; intake 201: ${svc_s:-no})"
  fi
  sleep 0.2
done
echo "  after the kill: Patroni had promoted $NEW_LEADER at ${promoted_s} s, HAProxy reached it at ${db_s} s, intake answered 201 at ${svc_s} s"
kill -0 "$SERVICE_PID" 2>/dev/null || fail "the service died"
# Keep the load on for the rest of its time (at least 5 s after recovery), then let the workers finish.
rest="$(awk -v a="$load_start" -v b="$(now)" -v l="$LOAD_SECONDS" 'BEGIN { r = l - (b - a); if (r < 5) r = 5; printf "%.1f", r }')"
sleep "$rest"
touch "$DIR/stop"
t_stop="$(now)"
while kill -0 "$LOAD_PID" 2>/dev/null; do
  older "$t_stop" 60 && fail "the load driver did not finish (deliveries still unacknowledged)"
  sleep 0.2
done
wait "$LOAD_PID" || fail "the load driver failed"
LOAD_PID=""
echo "  load: $(cat "$DIR/load.json")"

echo "== checks on the new leader"
leader_now="$(role_of leader)"
[ "$leader_now" = "$NEW_LEADER" ] || fail "the leader is '$leader_now', not the former standby $NEW_LEADER"
NEWPG="${PGP[$NEW_LEADER]}"
[ "$(psql_at "$NEWPG" -c 'SELECT pg_is_in_recovery()')" = f ] || fail "$NEW_LEADER is still in recovery"
timeline="$(psql_at "$NEWPG" -c 'SELECT timeline_id FROM pg_control_checkpoint()')"
echo "  leader now: $NEW_LEADER (the former synchronous standby), timeline $timeline; $OLD_LEADER down"
command -v patronictl >/dev/null && patronictl -c "$DIR/$NEW_LEADER/patroni.yml" list 2>/dev/null | sed 's/^/  /' || true
acked=$(wc -l <"$DIR/acked.tsv")
psql_at "$NEWPG" mailbox -v ON_ERROR_STOP=1 -f deploy/fault/acked-checks.sql \
  <"$DIR/acked.tsv" >"$DIR/checks.txt" || fail "checks failed"
sed 's/^/  /' "$DIR/checks.txt"
lost="$(sed -n 's/^acknowledged but missing or another letter //p' "$DIR/checks.txt")"
dups="$(sed -n 's/^app ids with more than one letter //p' "$DIR/checks.txt")"
read -r n503 slowest503 noretry errors repeats <<<"$(python3 -c 'import json,sys
d = json.load(open(sys.argv[1])); a = d.get("answers", {})
err = sum(v for k, v in a.items() if k not in ("200", "201", "503"))
print(a.get("503", 0), "%.2f" % d.get("max_503_s", 0.0), d.get("no_retry_after", 0), err, a.get("200", 0))' "$DIR/load.json")"
ready="$(curl -s -o /dev/null -m 5 -w '%{http_code}' "$BASE/readyz" || true)"
kill -0 "$SERVICE_PID" 2>/dev/null || fail "the service died"
echo "== result: acknowledged $acked, lost ${lost:-?}, duplicates ${dups:-?}, failover ${svc_s} s (database behind HAProxy ${db_s} s),"
echo "   503 answers $n503 (slowest ${slowest503} s, without Retry-After $noretry), other errors $errors, 200 repeats $repeats; /readyz $ready, service not restarted"
[ "$acked" -gt 0 ] || fail "nothing was acknowledged"
[ "$lost" = 0 ] || fail "acknowledged letters lost: $lost"
[ "$dups" = 0 ] || fail "app deliveries stored twice: $dups"
[ "$errors" = 0 ] || fail "$errors answers were neither 2xx nor 503 (or no answer at all)"
[ "$noretry" = 0 ] || fail "$noretry 503 answers without Retry-After"
awk -v t="$slowest503" 'BEGIN { exit !(t < 2.0) }' || fail "a 503 took $slowest503 s (limit 2 s, as in deploy/fault-test.sh)"
[ "$ready" = 200 ] || fail "/readyz answered $ready after the failover"
if grep -E -q '王五|张三|139[0-9]{8}|13800138000' "$DIR/serve.log"; then fail "personal data in the service log"; fi
echo "failover test: ok"
