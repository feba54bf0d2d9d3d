# Shared by start.sh, stop.sh, test.sh and bench.sh. Sourced, not run.
# Everything runs on loopback; state lives under TQ_STATE_DIR (default /var/tmp/tenantquota).
set -euo pipefail

TQ_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
TQ_STATE_DIR="${TQ_STATE_DIR:-/var/tmp/tenantquota}"
TQ_RUN_DIR="$TQ_STATE_DIR/run"
TQ_PG_PORT="${TQ_PG_PORT:-55432}"
TQ_IDENTITY_PORT="${TQ_IDENTITY_PORT:-5001}"
TQ_API_PORT="${TQ_API_PORT:-5080}"
TQ_DB_NAME="${TQ_DB_NAME:-tenantquota}"
TQ_DB_USER="tenantquota"
TQ_DB_PASSWORD="tenantquota"
TQ_WORKER_PORT="${TQ_WORKER_PORT:-5090}"
# The demo's webhook receiver (scripts/lib/webhook_receiver.py): a tenant's endpoint, as a customer would run one.
TQ_WEBHOOKS_PORT="${TQ_WEBHOOKS_PORT:-5095}"
# LocalStripe (src/TenantQuota.LocalStripe): the local stand-in for Stripe that start.sh runs and
# points the API and the worker at, unless Stripe__BaseUrl names another Stripe. Development values
# only: LocalStripe accepts any sk_test_ key, and signs webhooks with this secret (its own default).
TQ_LOCALSTRIPE_PORT="${TQ_LOCALSTRIPE_PORT:-12111}"
TQ_DEV_STRIPE_SECRET_KEY="sk_test_tenantquota_local_development"
TQ_DEV_STRIPE_WEBHOOK_SECRET="whsec_localstripe_development_only"
# RabbitMQ: one node per machine (Debian's rabbitmq-server, loopback only), a virtual host per use
# (tenantquota for start.sh, tenantquota_test_<pid>_<suite> for test.sh) and a user of ours on both.
TQ_RABBITMQ_PORT=5672
TQ_RABBITMQ_VHOST="${TQ_RABBITMQ_VHOST:-tenantquota}"
TQ_RABBITMQ_USER="tenantquota"
TQ_RABBITMQ_PASSWORD="tenantquota"
TQ_RABBITMQ_PIDFILE="/var/lib/rabbitmq/mnesia/rabbit@localhost.pid"
# Erlang's port mapper listens on every interface unless told otherwise, for every Erlang command.
export ERL_EPMD_ADDRESS=127.0.0.1

log() { printf '[tenantquota] %s\n' "$*" >&2; }
die() { printf '[tenantquota] ERROR: %s\n' "$*" >&2; exit 1; }

# Root installs directly; anyone else goes through sudo when it exists.
as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else die "need root (or sudo) for: $*"; fi
}

APT_UPDATED=0
apt_install() {
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing ${missing[*]} (apt)"
  if [ "$APT_UPDATED" -eq 0 ]; then as_root apt-get update -qq >/dev/null; APT_UPDATED=1; fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

ensure_tools() {
  command -v curl >/dev/null || apt_install curl ca-certificates
  command -v dotnet >/dev/null || die "the .NET SDK (dotnet) must be on PATH"
  pg_bin >/dev/null 2>&1 || apt_install postgresql
}

# ensure_chromium: Debian's Chromium for the browser tests (Playwright drives it; it never downloads one).
ensure_chromium() {
  [ -x /usr/bin/chromium ] || apt_install chromium fonts-liberation
}

pg_bin() {
  local bin
  bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
  [ -n "$bin" ] && [ -x "$bin/initdb" ] || return 1
  echo "$bin"
}

# PostgreSQL refuses to run as root, so root runs it as the 'postgres' user.
as_pg() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# ensure_postgres DATA_DIR PORT [extra server options]: init once, start unless running,
# create the application role and database. Idempotent.
ensure_postgres() {
  local data="$1" port="$2" extra="${3:-}" bin sock
  bin="$(pg_bin)" || die "PostgreSQL is not installed"
  sock="$data.sock"
  mkdir -p "$data" "$sock"
  if [ "$(id -u)" -eq 0 ]; then chown postgres:postgres "$data" "$sock"; chmod 700 "$data"; fi
  if [ ! -f "$data/PG_VERSION" ]; then
    log "initialising PostgreSQL in $data"
    as_pg "$bin/initdb" -D "$data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
  fi
  if ! as_pg "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
    log "starting PostgreSQL on 127.0.0.1:$port"
    as_pg "$bin/pg_ctl" -D "$data" -l "$data/server.log" -w -t 60 \
      -o "-c listen_addresses=127.0.0.1 -p $port -k $sock -c max_connections=200 $extra" start >/dev/null
  fi
  psql_admin "$port" postgres -c "DO \$\$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$TQ_DB_USER') THEN CREATE ROLE $TQ_DB_USER LOGIN PASSWORD '$TQ_DB_PASSWORD' CREATEDB; END IF; END \$\$;" >/dev/null
}

ensure_database() {
  local port="$1" name="$2"
  if [ "$(psql_admin "$port" postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$name'")" != "1" ]; then
    psql_admin "$port" postgres -c "CREATE DATABASE $name OWNER $TQ_DB_USER" >/dev/null
  fi
}

psql_admin() {
  local port="$1" db="$2"; shift 2
  PGOPTIONS="-c client_min_messages=warning" psql -q -h 127.0.0.1 -p "$port" -U postgres -d "$db" -v ON_ERROR_STOP=1 "$@"
}

stop_postgres() {
  local data="$1" bin
  bin="$(pg_bin)" || return 0
  [ -f "$data/PG_VERSION" ] || return 0
  if as_pg "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
    log "stopping PostgreSQL ($data)"
    as_pg "$bin/pg_ctl" -D "$data" -m fast -w stop >/dev/null
  fi
}

connection_string() {
  local port="$1" db="$2"
  echo "Host=127.0.0.1;Port=$port;Database=$db;Username=$TQ_DB_USER;Password=$TQ_DB_PASSWORD;Maximum Pool Size=16"
}

# publish NAME PROJECT_DIR: a Release build of a host into the state folder ($TQ_STATE_DIR/NAME).
publish() {
  local name="$1" project="$2"
  log "building $name (Release)"
  # Into an empty folder: publish copies a file only when it is newer than the one there, so binaries left by a build
  # of another checkout (newer, but not this code) would otherwise stay.
  rm -rf "${TQ_STATE_DIR:?}/${name:?}"
  dotnet publish "$TQ_ROOT/src/$project/$project.csproj" -c Release -o "$TQ_STATE_DIR/$name" --nologo -v quiet >"$TQ_RUN_DIR/build-$name.log" 2>&1 \
    || { tail -n 30 "$TQ_RUN_DIR/build-$name.log" >&2; die "the $name build failed"; }
}

# access_token JSON: the access_token of a token response (compact JSON, as the identity host answers).
access_token() { sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p'; }

# wait_for_url URL SECONDS [PID]: polls until HTTP 200; fails early if PID dies.
wait_for_url() {
  local url="$1" seconds="$2" pid="${3:-}" i
  for ((i = 0; i < seconds * 4; i++)); do
    curl -fsS -o /dev/null --max-time 2 "$url" 2>/dev/null && return 0
    if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then return 1; fi
    sleep 0.25
  done
  return 1
}

# pid-file helpers: we stop exactly what we started, never by process name. A pid file can outlive
# its process (a reboot; /var/tmp survives one), so a pid only counts while its command line still
# names what we started.
declare -A TQ_PROCESS_MARKER=([identity]="TenantQuota.Identity.dll" [api]="TenantQuota.Api.dll" [worker]="TenantQuota.Worker.dll"
                             [localstripe]="TenantQuota.LocalStripe.dll" [webhooks]="webhook_receiver.py")
running_pid() {
  local file="$TQ_RUN_DIR/$1.pid" pid
  [ -f "$file" ] || return 1
  pid="$(cat "$file")"
  kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "${TQ_PROCESS_MARKER[$1]}" || return 1
  echo "$pid"
}

stop_by_pidfile() {
  local name="$1" pid i
  if pid="$(running_pid "$name")"; then
    log "stopping $name (pid $pid)"
    kill "$pid" 2>/dev/null || true
    for ((i = 0; i < 60; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$TQ_RUN_DIR/$name.pid"
}

# ---- RabbitMQ (../shared/RECIPES.md) --------------------------------------------------------------
# rabbitmqctl against a node that is down can hang for minutes: every call has a timeout.
# rmqctl SECONDS ARGS...: rabbitmqctl as root (it reads the node's Erlang cookie).
rmqctl() { local seconds="$1"; shift; as_root env ERL_EPMD_ADDRESS=127.0.0.1 timeout "$seconds" rabbitmqctl -q "$@"; }
rabbitmq_running() { rmqctl 30 status >/dev/null 2>&1; }

# The node listens on 127.0.0.1 only, its distribution port too. Written once; an operator's own
# settings in the file are kept (ours are appended when missing).
rabbitmq_loopback_config() {
  local conf=/etc/rabbitmq/rabbitmq-env.conf line
  as_root mkdir -p /etc/rabbitmq
  as_root touch "$conf"
  for line in "NODENAME=rabbit@localhost" "NODE_IP_ADDRESS=127.0.0.1" "NODE_PORT=$TQ_RABBITMQ_PORT" \
              'SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"'; do
    grep -qxF "$line" "$conf" || printf '%s\n' "$line" | as_root tee -a "$conf" >/dev/null
  done
}

# ensure_rabbitmq: install (apt) if missing, configure for loopback, start unless running, wait.
# Sets TQ_RABBITMQ_STARTED=1 when this call started the node (so callers can stop exactly that).
TQ_RABBITMQ_STARTED=0
ensure_rabbitmq() {
  command -v rabbitmq-server >/dev/null || apt_install rabbitmq-server
  rabbitmq_loopback_config
  if rabbitmq_running; then return 0; fi
  log "starting RabbitMQ on 127.0.0.1:$TQ_RABBITMQ_PORT"
  as_root env ERL_EPMD_ADDRESS=127.0.0.1 rabbitmq-server -detached
  # await_startup right after -detached fails (exit 69); wait on the pid file instead.
  rmqctl 150 wait --timeout 120 "$TQ_RABBITMQ_PIDFILE" >/dev/null \
    || die "RabbitMQ did not start; see /var/log/rabbitmq/"
  TQ_RABBITMQ_STARTED=1
}

# ensure_rabbitmq_vhost NAME: the virtual host and our user with full rights on it. Idempotent.
ensure_rabbitmq_vhost() {
  local vhost="$1"
  if ! rmqctl 30 list_vhosts name | grep -xF "$vhost" >/dev/null; then
    rmqctl 30 add_vhost "$vhost" >/dev/null
  fi
  if ! rmqctl 30 list_users | awk '{print $1}' | grep -xF "$TQ_RABBITMQ_USER" >/dev/null; then
    rmqctl 30 add_user "$TQ_RABBITMQ_USER" "$TQ_RABBITMQ_PASSWORD" >/dev/null
  fi
  rmqctl 30 set_permissions -p "$vhost" "$TQ_RABBITMQ_USER" ".*" ".*" ".*" >/dev/null
}

# recreate_rabbitmq_vhost NAME: a fresh, empty virtual host (tests: no messages from an earlier run).
recreate_rabbitmq_vhost() {
  if rmqctl 30 list_vhosts name | grep -xF "$1" >/dev/null; then
    rmqctl 60 delete_vhost "$1" >/dev/null
  fi
  ensure_rabbitmq_vhost "$1"
}

delete_rabbitmq_vhost() { rmqctl 60 delete_vhost "$1" >/dev/null 2>&1 || true; }

# delete_stale_test_vhosts: the virtual hosts of test runs that ended without cleaning up
# (tenantquota_test_<pid>_<suite> whose pid is gone).
delete_stale_test_vhosts() {
  local vhost pid
  for vhost in $(rmqctl 30 list_vhosts name | grep -E '^tenantquota_test_[0-9]+_[a-z]+$'); do
    pid="$(echo "$vhost" | sed -E 's/^tenantquota_test_([0-9]+)_[a-z]+$/\1/')"
    kill -0 "$pid" 2>/dev/null || delete_rabbitmq_vhost "$vhost"
  done
}

# stop_rabbitmq: only a node that answers is stopped (an unguarded stop of a node already down
# hung for 10 minutes here); then the Erlang port mapper goes too.
stop_rabbitmq() {
  command -v rabbitmqctl >/dev/null || return 0
  if rabbitmq_running; then
    log "stopping RabbitMQ"
    rmqctl 120 stop "$TQ_RABBITMQ_PIDFILE" >/dev/null 2>&1 || log "RabbitMQ did not stop cleanly"
  fi
  command -v epmd >/dev/null && as_root epmd -kill >/dev/null 2>&1 || true
}

rabbitmq_url() { echo "amqp://$TQ_RABBITMQ_USER:$TQ_RABBITMQ_PASSWORD@127.0.0.1:$TQ_RABBITMQ_PORT/$1"; }
