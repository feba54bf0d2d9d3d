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
declare -A TQ_PROCESS_MARKER=([identity]="TenantQuota.Identity.dll" [api]="TenantQuota.Api.dll")
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
