#!/usr/bin/env bash
# Starts the whole TenantQuota stack on loopback, in the background, with demo data:
# PostgreSQL (127.0.0.1:55432), RabbitMQ (127.0.0.1:5672, virtual host tenantquota), the bundled OIDC
# provider (TenantQuota.Identity, 127.0.0.1:5001), the API (127.0.0.1:5080) and the billing worker
# (TenantQuota.Worker, 127.0.0.1:5090). Installs what is missing. Running it twice is harmless: what
# runs stays up. Environment variables reach the hosts as ASP.NET Core configuration
# (e.g. Stripe__BaseUrl=... Stripe__SecretKey=...).
source "$(dirname "$0")/lib/common.sh"

ensure_tools
mkdir -p "$TQ_RUN_DIR"

ensure_postgres "$TQ_STATE_DIR/pg" "$TQ_PG_PORT"
ensure_database "$TQ_PG_PORT" "$TQ_DB_NAME"

# RabbitMQ is one node per machine: stop.sh stops it only if this script started it (the marker).
ensure_rabbitmq
if [ "$TQ_RABBITMQ_STARTED" -eq 1 ]; then touch "$TQ_RUN_DIR/rabbitmq.started"; fi
ensure_rabbitmq_vhost "$TQ_RABBITMQ_VHOST"

IDP_URL="http://127.0.0.1:$TQ_IDENTITY_PORT"
if running_pid identity >/dev/null; then
  log "identity provider already running"
else
  publish identity-host TenantQuota.Identity
  log "starting the identity provider on $IDP_URL"
  (
    cd "$TQ_STATE_DIR/identity-host"
    export ASPNETCORE_ENVIRONMENT="${ASPNETCORE_ENVIRONMENT:-Production}"
    export ConnectionStrings__TenantQuota="${ConnectionStrings__TenantQuota:-$(connection_string "$TQ_PG_PORT" "$TQ_DB_NAME")}"
    export Identity__Issuer="${Identity__Issuer:-$IDP_URL}"
    export Identity__KeysPath="${Identity__KeysPath:-$TQ_STATE_DIR/identity-keys}"
    export Identity__RequireHttps="${Identity__RequireHttps:-false}"
    export Identity__SeedFile="${Identity__SeedFile:-$TQ_ROOT/src/TenantQuota.Identity/demo-seed.json}"
    exec setsid dotnet TenantQuota.Identity.dll --urls "$IDP_URL"
  ) >"$TQ_RUN_DIR/identity.log" 2>&1 &
  echo $! >"$TQ_RUN_DIR/identity.pid"
fi
wait_for_url "$IDP_URL/.well-known/openid-configuration" 120 "$(running_pid identity || true)" \
  || { tail -n 30 "$TQ_RUN_DIR/identity.log" >&2; die "the identity provider did not come up; see $TQ_RUN_DIR/identity.log"; }

API_URL="http://127.0.0.1:$TQ_API_PORT"
if running_pid api >/dev/null; then
  log "API already running (scripts/stop.sh first to run a new build)"
else
  publish api TenantQuota.Api
  log "starting the API on $API_URL"
  (
    cd "$TQ_STATE_DIR/api"
    export ASPNETCORE_ENVIRONMENT="${ASPNETCORE_ENVIRONMENT:-Production}"
    export ConnectionStrings__TenantQuota="${ConnectionStrings__TenantQuota:-$(connection_string "$TQ_PG_PORT" "$TQ_DB_NAME")}"
    export Auth__Authority="${Auth__Authority:-$IDP_URL}"
    export Auth__RequireHttpsMetadata="${Auth__RequireHttpsMetadata:-false}"
    exec setsid dotnet TenantQuota.Api.dll --urls "$API_URL"
  ) >"$TQ_RUN_DIR/api.log" 2>&1 &
  echo $! >"$TQ_RUN_DIR/api.pid"
fi
wait_for_url "$API_URL/health/ready" 120 "$(running_pid api || true)" \
  || { tail -n 30 "$TQ_RUN_DIR/api.log" >&2; die "the API did not become ready; see $TQ_RUN_DIR/api.log"; }

# The billing worker: outbox dispatcher, Stripe meter events, release of held overage.
WORKER_URL="http://127.0.0.1:$TQ_WORKER_PORT"
if running_pid worker >/dev/null; then
  log "worker already running (scripts/stop.sh first to run a new build)"
else
  publish worker TenantQuota.Worker
  log "starting the worker on $WORKER_URL"
  (
    cd "$TQ_STATE_DIR/worker"
    export ASPNETCORE_ENVIRONMENT="${ASPNETCORE_ENVIRONMENT:-Production}"
    export ConnectionStrings__TenantQuota="${ConnectionStrings__TenantQuota:-$(connection_string "$TQ_PG_PORT" "$TQ_DB_NAME")}"
    export RabbitMq__Host="${RabbitMq__Host:-127.0.0.1}"
    export RabbitMq__Port="${RabbitMq__Port:-$TQ_RABBITMQ_PORT}"
    export RabbitMq__VirtualHost="${RabbitMq__VirtualHost:-$TQ_RABBITMQ_VHOST}"
    export RabbitMq__Username="${RabbitMq__Username:-$TQ_RABBITMQ_USER}"
    export RabbitMq__Password="${RabbitMq__Password:-$TQ_RABBITMQ_PASSWORD}"
    # Stripe__* (SecretKey, BaseUrl, ApiVersion) pass through from this script's environment as they
    # are; without Stripe__SecretKey billing is off and overage is held, never dropped.
    exec setsid dotnet TenantQuota.Worker.dll --urls "$WORKER_URL"
  ) >"$TQ_RUN_DIR/worker.log" 2>&1 &
  echo $! >"$TQ_RUN_DIR/worker.pid"
fi
wait_for_url "$WORKER_URL/health/ready" 120 "$(running_pid worker || true)" \
  || { tail -n 30 "$TQ_RUN_DIR/worker.log" >&2; die "the worker did not become ready; see $TQ_RUN_DIR/worker.log"; }

# Demo tenants, created through the API as the platform operator would (201 new, 409 already there).
admin_token="$(curl -fsS -u platform-admin:platform-admin-secret -d grant_type=client_credentials "$IDP_URL/token" | access_token)"
[ -n "$admin_token" ] || die "no access token for platform-admin from $IDP_URL/token; see $TQ_RUN_DIR/identity.log"
seed_tenant() {
  local status
  status="$(curl -sS -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $admin_token" -H 'Content-Type: application/json' \
    -d "{\"id\":\"$1\",\"name\":\"$2\",\"tier\":\"$3\",\"timeZone\":\"$4\"}" "$API_URL/v1/tenants")"
  case "$status" in 201|409) ;; *) die "seeding tenant $1 answered HTTP $status" ;; esac
}
seed_tenant acme "Acme Corp" free Europe/Madrid
seed_tenant globex "Globex" pro America/New_York
seed_tenant initech "Initech" team America/Chicago
seed_tenant umbrella "Umbrella Corporation" enterprise Asia/Tokyo
seed_tenant bench "Benchmark tenant" enterprise UTC

cat <<TXT

TenantQuota is running (loopback only):
  API                 $API_URL        (OpenAPI: $API_URL/openapi/v1.json, readiness: $API_URL/health/ready)
  Identity provider   $IDP_URL        (discovery: $IDP_URL/.well-known/openid-configuration)
  Billing worker      $WORKER_URL        (readiness: $WORKER_URL/health/ready, overage pipeline: $WORKER_URL/billing/health)
  PostgreSQL          127.0.0.1:$TQ_PG_PORT  database $TQ_DB_NAME, user $TQ_DB_USER
  RabbitMQ            127.0.0.1:$TQ_RABBITMQ_PORT   virtual host $TQ_RABBITMQ_VHOST, user $TQ_RABBITMQ_USER
  Logs and pid files  $TQ_RUN_DIR
Demo clients and dashboard users: see README.md (e.g. acme-backend / acme-dev-secret, platform-admin / platform-admin-secret).
Try:  TOKEN=\$(curl -s -u acme-backend:acme-dev-secret -d grant_type=client_credentials $IDP_URL/token | sed 's/.*"access_token":"\([^"]*\)".*/\1/')
      curl -s -H "Authorization: Bearer \$TOKEN" -H 'Content-Type: application/json' \\
           -d '{"subjectId":"user-42","operationClass":"summaries","quantity":1}' $API_URL/v1/entitlements/check
Stop with scripts/stop.sh.
TXT
