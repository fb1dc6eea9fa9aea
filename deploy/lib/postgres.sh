# Shared helpers for deploy/*.sh (sourced, not run): PostgreSQL clusters, free ports, readiness.
# PostgreSQL refuses to run as root, so as root the server runs as the `postgres` user.

PG_BIN="${MAILBOX_PG_BIN:-/usr/lib/postgresql/15/bin}"

# Installs the PostgreSQL 15 server (and pgbench/psql) when absent; never upgrades.
ensure_postgres_installed() {
  if [ -x "$PG_BIN/initdb" ] && command -v psql >/dev/null 2>&1; then
    return 0
  fi
  if [ "$(id -u)" -ne 0 ]; then
    echo "PostgreSQL 15 is missing; run as root or: sudo apt-get install -y postgresql" >&2
    return 1
  fi
  echo "installing PostgreSQL (apt)..." >&2
  export DEBIAN_FRONTEND=noninteractive
  dpkg -s postgresql-15 >/dev/null 2>&1 || {
    apt-get update -qq && apt-get install -y -qq --no-upgrade postgresql postgresql-contrib >/dev/null
  }
  # The Debian package starts a cluster of its own on 5432; we run private clusters instead.
  if command -v pg_ctlcluster >/dev/null 2>&1; then pg_ctlcluster 15 main stop >/dev/null 2>&1 || true; fi
  [ -x "$PG_BIN/initdb" ]
}

# Runs a command as the postgres user when we are root.
as_postgres() {
  if [ "$(id -u)" -eq 0 ]; then
    id -u postgres >/dev/null 2>&1 || useradd --system --home /var/lib/postgresql --shell /bin/bash postgres
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

# A free TCP port on 127.0.0.1 (nothing answers a connection there), in pure bash. It is taken
# below the kernel's ephemeral range (ip_local_port_range), so an outgoing connection made
# meanwhile (to PostgreSQL, by curl) cannot be handed the same port before our listener binds it.
free_port() {
  local p low=32768
  read -r low _ </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || true
  [ "$low" -gt 12000 ] 2>/dev/null || low=32768
  while true; do
    p=$(( 10000 + RANDOM % (low - 10000) ))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      echo "$p"
      return 0
    fi
  done
}

# wait_ready URL PID LOG [SECONDS]: waits until URL/readyz answers 200 (default up to 60 s). If the
# process PID ends first or time runs out, says which, prints the tail of LOG and returns 1.
wait_ready() {
  local url="$1" pid="$2" log="$3" deadline=$(( SECONDS + ${4:-60} ))
  while [ "$SECONDS" -lt "$deadline" ]; do
    curl -fs -m 2 "$url/readyz" >/dev/null 2>&1 && return 0
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "the service (pid $pid) exited before $url/readyz answered; its log:" >&2
      tail -n 30 "$log" >&2 2>/dev/null || true
      return 1
    fi
    sleep 0.2
  done
  echo "$url/readyz did not answer 200 within ${4:-60} s; the service's log:" >&2
  tail -n 30 "$log" >&2 2>/dev/null || true
  return 1
}

# start_private_cluster DIR PORT [durable]: a throwaway cluster; tuned for tests (no fsync)
# unless the third argument is "durable" (PostgreSQL's default durability, for benchmarks).
start_private_cluster() {
  local dir="$1" port="$2" mode="${3:-fast}"
  mkdir -p "$dir"
  if [ "$(id -u)" -eq 0 ]; then chown postgres:postgres "$dir"; fi
  as_postgres "$PG_BIN/initdb" -D "$dir" -U postgres --auth=trust --encoding=UTF8 --no-locale --no-sync >/dev/null
  cat >>"$dir/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
max_connections = 300
shared_buffers = 256MB
timezone = 'UTC'
CONF
  if [ "$mode" != durable ]; then
    printf 'fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n' >>"$dir/postgresql.conf"
  fi
  as_postgres "$PG_BIN/pg_ctl" -D "$dir" -l "$dir/server.log" -w -t 60 start >/dev/null
  local i
  for i in $(seq 1 50); do
    pg_isready -h 127.0.0.1 -p "$port" -q && return 0
    sleep 0.2
  done
  echo "PostgreSQL did not become ready; log:" >&2
  cat "$dir/server.log" >&2
  return 1
}

stop_private_cluster() {
  local dir="$1"
  [ -f "$dir/postmaster.pid" ] && as_postgres "$PG_BIN/pg_ctl" -D "$dir" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}

# kill_private_cluster DIR: SIGKILL the postmaster (a crash, not a shutdown) and wait until it is gone.
kill_private_cluster() {
  local dir="$1" pid i
  pid="$(head -1 "$dir/postmaster.pid")"
  kill -9 "$pid"
  for i in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  # Backends notice the postmaster's death and exit; a new postmaster waits for their shared memory.
  for i in $(seq 1 100); do pgrep -u postgres -f -- "-D $dir" >/dev/null 2>&1 || break; sleep 0.1; done
}

# restart_private_cluster DIR PORT: start a stopped or crashed cluster again (crash recovery runs).
restart_private_cluster() {
  local dir="$1" port="$2" i
  as_postgres "$PG_BIN/pg_ctl" -D "$dir" -l "$dir/server.log" -w -t 60 start >/dev/null
  for i in $(seq 1 50); do pg_isready -h 127.0.0.1 -p "$port" -q && return 0; sleep 0.2; done
  return 1
}

# prepare_mailbox_db BIN PORT: database `mailbox` on 127.0.0.1:PORT, migrated by BIN/mailbox and
# with the demo departments loaded; exports DATABASE_URL and a random MAILBOX_APP_WEBHOOK_SECRET.
prepare_mailbox_db() {
  createdb -h 127.0.0.1 -p "$2" -U postgres mailbox
  export DATABASE_URL="postgres://postgres@127.0.0.1:$2/mailbox"
  export MAILBOX_APP_WEBHOOK_SECRET="test-secret-$RANDOM$RANDOM"
  "$1/mailbox" migrate --log-level warning >/dev/null
  "$1/mailbox" demo-data --log-level warning >/dev/null
}

# ensure_venv DIR REQUIREMENTS MODULE: a Python venv in DIR with REQUIREMENTS installed, unless
# MODULE already imports there.
ensure_venv() {
  if ! "$1/bin/python" -c "import $3" >/dev/null 2>&1; then
    python3 -m venv "$1"
    "$1/bin/pip" install -q --disable-pip-version-check -r "$2"
  fi
}
