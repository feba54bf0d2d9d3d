#!/usr/bin/env bash
# Starts the whole TenantQuota stack on loopback, in the background, with demo data:
# PostgreSQL (127.0.0.1:55432), RabbitMQ (127.0.0.1:5672, virtual host tenantquota), LocalStripe
# (the local Stripe, 127.0.0.1:12111), the bundled OIDC provider (TenantQuota.Identity, 127.0.0.1:5001),
# the API (127.0.0.1:5080) and the billing worker (TenantQuota.Worker, 127.0.0.1:5090). Installs
# what is missing. Running it twice is harmless: what runs stays up. Environment variables reach the
# hosts as ASP.NET Core configuration (e.g. Quota__UpgradeUrl=..., Billing__Prices__pro=2500).
#
# Billing runs against LocalStripe with development keys unless told otherwise:
#   Stripe__BaseUrl=https://api.stripe.com Stripe__SecretKey=sk_test_... Stripe__WebhookSecret=whsec_...
#     use that Stripe instead; LocalStripe is not started and the catalogue is not synced (README.md).
#   Stripe__SecretKey=    (set, empty) billing off: no LocalStripe, /v1/billing/* answer 503, overage is held.
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
API_URL="http://127.0.0.1:$TQ_API_PORT"
WORKER_URL="http://127.0.0.1:$TQ_WORKER_PORT"
LOCALSTRIPE_URL="http://127.0.0.1:$TQ_LOCALSTRIPE_PORT"

# ---- Billing settings: the same Stripe__* for the API and the worker ----------------------------
# ${VAR-default}, not ${VAR:-default}: a key set to the empty string switches billing off.
STRIPE_BASE_URL="${Stripe__BaseUrl:-$LOCALSTRIPE_URL}"
if [ "${STRIPE_BASE_URL%/}" = "$LOCALSTRIPE_URL" ]; then
  STRIPE_SECRET_KEY="${Stripe__SecretKey-$TQ_DEV_STRIPE_SECRET_KEY}"
  STRIPE_WEBHOOK_SECRET="${Stripe__WebhookSecret-${LocalStripe__WebhookSecret:-$TQ_DEV_STRIPE_WEBHOOK_SECRET}}"
else
  # Another Stripe (the real one, in test mode): its keys are the caller's, never our development ones.
  STRIPE_SECRET_KEY="${Stripe__SecretKey-}"
  STRIPE_WEBHOOK_SECRET="${Stripe__WebhookSecret-}"
fi
USE_LOCALSTRIPE=0
if [ -z "$STRIPE_SECRET_KEY" ]; then
  log "billing is off (no Stripe__SecretKey): /v1/billing/* answer 503 and the worker holds overage"
elif [ "${STRIPE_BASE_URL%/}" = "$LOCALSTRIPE_URL" ]; then
  USE_LOCALSTRIPE=1
else
  log "billing against $STRIPE_BASE_URL (Stripe__BaseUrl): LocalStripe is not started"
fi

# ---- LocalStripe, before the API and the worker ---------------------------------------------------
# Its state is in memory: one started now is an empty Stripe account, and the Stripe ids the database
# holds from an earlier one (customers, subscriptions, catalogue) point at nothing. They are forgotten,
# and the tenants whose subscription went with them return to the tier they had without it, once the
# API is up: as if Stripe had cancelled those subscriptions. Events and sent meter events stay as history.
RESET_TENANTS=""
forget_earlier_stripe() {
  local tables answer customers catalog
  # Only in the database this script runs; one named by ConnectionStrings__TenantQuota is the caller's.
  [ -z "${ConnectionStrings__TenantQuota:-}" ] || return 0
  tables="$(psql_admin "$TQ_PG_PORT" "$TQ_DB_NAME" -tAc \
    "SELECT to_regclass('billing_subscriptions') IS NOT NULL AND to_regclass('billing_customers') IS NOT NULL AND to_regclass('stripe_catalog') IS NOT NULL")"
  [ "$tables" = "t" ] || return 0 # a new database: the API migrates it
  answer="$(psql_admin "$TQ_PG_PORT" "$TQ_DB_NAME" -tA -F '|' -c "
    WITH s AS (DELETE FROM billing_subscriptions RETURNING tenant_id, status),
         c AS (DELETE FROM billing_customers RETURNING tenant_id),
         k AS (DELETE FROM stripe_catalog RETURNING kind)
    SELECT coalesce(string_agg(tenant_id, ' ' ORDER BY tenant_id) FILTER (WHERE status IN ('active', 'trialing', 'past_due')), ''),
           (SELECT count(*) FROM c), (SELECT count(*) FROM k)
      FROM s")"
  IFS='|' read -r RESET_TENANTS customers catalog <<<"$answer"
  if [ "$customers" != "0" ] || [ "$catalog" != "0" ] || [ -n "$RESET_TENANTS" ]; then
    log "LocalStripe starts empty: forgot the earlier Stripe's $customers customer(s), catalogue ($catalog objects) and subscriptions${RESET_TENANTS:+ (tenants: $RESET_TENANTS)}"
  fi
}

if [ "$USE_LOCALSTRIPE" -eq 1 ]; then
  if running_pid localstripe >/dev/null; then
    log "LocalStripe already running (its objects stay; scripts/stop.sh first to run a new build)"
  else
    publish localstripe TenantQuota.LocalStripe
    log "starting LocalStripe on $LOCALSTRIPE_URL"
    (
      cd "$TQ_STATE_DIR/localstripe"
      export ASPNETCORE_ENVIRONMENT="${ASPNETCORE_ENVIRONMENT:-Production}"
      export LocalStripe__WebhookUrl="${LocalStripe__WebhookUrl:-$API_URL/v1/billing/stripe/webhook}"
      export LocalStripe__WebhookSecret="${LocalStripe__WebhookSecret:-$STRIPE_WEBHOOK_SECRET}"
      exec setsid dotnet TenantQuota.LocalStripe.dll --urls "$LOCALSTRIPE_URL"
    ) >"$TQ_RUN_DIR/localstripe.log" 2>&1 &
    echo $! >"$TQ_RUN_DIR/localstripe.pid"
    forget_earlier_stripe
  fi
  wait_for_url "$LOCALSTRIPE_URL/" 60 "$(running_pid localstripe || true)" \
    || { tail -n 30 "$TQ_RUN_DIR/localstripe.log" >&2; die "LocalStripe did not come up; see $TQ_RUN_DIR/localstripe.log"; }
fi

# The Stripe__* keys of the API and the worker (in their subshells; the worker ignores WebhookSecret).
export_stripe_settings() {
  export Stripe__BaseUrl="$STRIPE_BASE_URL"
  export Stripe__SecretKey="$STRIPE_SECRET_KEY"
  export Stripe__WebhookSecret="$STRIPE_WEBHOOK_SECRET"
}

# ---- identity provider, API, worker ---------------------------------------------------------------
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
    # The dashboard's code comes back to the API this script starts (docs/decisions/0023-dashboard.md).
    export Identity__Dashboard__RedirectUris__0="${Identity__Dashboard__RedirectUris__0:-$API_URL/dashboard/callback}"
    exec setsid dotnet TenantQuota.Identity.dll --urls "$IDP_URL"
  ) >"$TQ_RUN_DIR/identity.log" 2>&1 &
  echo $! >"$TQ_RUN_DIR/identity.pid"
fi
wait_for_url "$IDP_URL/.well-known/openid-configuration" 120 "$(running_pid identity || true)" \
  || { tail -n 30 "$TQ_RUN_DIR/identity.log" >&2; die "the identity provider did not come up; see $TQ_RUN_DIR/identity.log"; }

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
    # The demo product at /demo: anonymous endpoints acting for the demo tenants, for this loopback stack only.
    export Demo__Enabled="${Demo__Enabled:-true}"
    # Webhook endpoints may be plain http to 127.0.0.1 or localhost: receivers of this loopback stack run beside it.
    export Governance__AllowLoopbackHttpWebhooks="${Governance__AllowLoopbackHttpWebhooks:-true}"
    export_stripe_settings
    exec setsid dotnet TenantQuota.Api.dll --urls "$API_URL"
  ) >"$TQ_RUN_DIR/api.log" 2>&1 &
  echo $! >"$TQ_RUN_DIR/api.pid"
fi
wait_for_url "$API_URL/health/ready" 120 "$(running_pid api || true)" \
  || { tail -n 30 "$TQ_RUN_DIR/api.log" >&2; die "the API did not become ready; see $TQ_RUN_DIR/api.log"; }

# The billing worker: outbox dispatcher, Stripe meter events, release of held overage.
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
    # As for the API: this stack's webhook receivers run on 127.0.0.1, which deliveries otherwise refuse.
    export Governance__AllowLoopbackHttpWebhooks="${Governance__AllowLoopbackHttpWebhooks:-true}"
    export_stripe_settings
    exec setsid dotnet TenantQuota.Worker.dll --urls "$WORKER_URL"
  ) >"$TQ_RUN_DIR/worker.log" 2>&1 &
  echo $! >"$TQ_RUN_DIR/worker.pid"
fi
wait_for_url "$WORKER_URL/health/ready" 120 "$(running_pid worker || true)" \
  || { tail -n 30 "$TQ_RUN_DIR/worker.log" >&2; die "the worker did not become ready; see $TQ_RUN_DIR/worker.log"; }

# ---- demo data --------------------------------------------------------------------------------------
# Demo tenants, created through the API as the platform operator would (201 new, 409 already there).
DEMO_TENANTS=(
  "acme|Acme Corp|free|Europe/Madrid"
  "globex|Globex|pro|America/New_York"
  "initech|Initech|team|America/Chicago"
  "umbrella|Umbrella Corporation|enterprise|Asia/Tokyo"
  "bench|Benchmark tenant|enterprise|UTC"
  "bench-budgets|Benchmark tenant with budgets|enterprise|UTC"
)
admin_token="$(curl -fsS -u platform-admin:platform-admin-secret -d grant_type=client_credentials "$IDP_URL/token" | access_token)"
[ -n "$admin_token" ] || die "no access token for platform-admin from $IDP_URL/token; see $TQ_RUN_DIR/identity.log"
admin_call() { # METHOD PATH [JSON]: prints the HTTP status; the body goes to $TQ_RUN_DIR/last-admin-call.json
  curl -sS -o "$TQ_RUN_DIR/last-admin-call.json" -w '%{http_code}' -X "$1" -H "Authorization: Bearer $admin_token" \
    ${3:+-H 'Content-Type: application/json' -d "$3"} "$API_URL$2"
}
for entry in "${DEMO_TENANTS[@]}"; do
  IFS='|' read -r id name tier zone <<<"$entry"
  status="$(admin_call POST /v1/tenants "{\"id\":\"$id\",\"name\":\"$name\",\"tier\":\"$tier\",\"timeZone\":\"$zone\"}")"
  case "$status" in 201|409) ;; *) die "seeding tenant $id answered HTTP $status" ;; esac
done

# Tenants whose subscription was at an earlier LocalStripe (forget_earlier_stripe): demo tenants go
# back to their demo tier, any other to the free tier (the matrix's first), as a cancellation would.
if [ -n "$RESET_TENANTS" ]; then
  [ "$(admin_call GET /v1/plans)" = "200" ] || die "GET /v1/plans failed; see $TQ_RUN_DIR/api.log"
  free_tier="$(sed -n 's/.*"tiers":\["\([^"]*\)".*/\1/p' "$TQ_RUN_DIR/last-admin-call.json")"
  for tenant in $RESET_TENANTS; do
    tier="$free_tier"
    for entry in "${DEMO_TENANTS[@]}"; do
      IFS='|' read -r id _ demo_tier _ <<<"$entry"
      if [ "$id" = "$tenant" ]; then tier="$demo_tier"; fi
    done
    status="$(admin_call PUT "/v1/tenants/$tenant/tier" "{\"tier\":\"$tier\"}")"
    case "$status" in
      200) log "tenant $tenant is on $tier again (its subscription was at the earlier LocalStripe)" ;;
      404) ;;
      *) die "moving tenant $tenant back to $tier answered HTTP $status" ;;
    esac
  done
fi

# The Stripe catalogue (products, prices, meters) for the matrix, so that an upgrade works at once.
# Idempotent: a second run changes nothing. Only against LocalStripe: a real Stripe account is the
# operator's to change (README.md, Billing).
if [ "$USE_LOCALSTRIPE" -eq 1 ]; then
  status="$(admin_call POST /v1/billing/catalog/sync)"
  [ "$status" = "200" ] || { cat "$TQ_RUN_DIR/last-admin-call.json" >&2; echo >&2; die "the catalogue sync answered HTTP $status; see $TQ_RUN_DIR/api.log"; }
  if grep -q '"changes":\[\]' "$TQ_RUN_DIR/last-admin-call.json"; then log "Stripe catalogue already in sync"; else log "Stripe catalogue synced to LocalStripe"; fi
fi
rm -f "$TQ_RUN_DIR/last-admin-call.json"

# ---- the governance demo: Umbrella (enterprise) with departments, a forecast, alerts and a webhook receiver ----
# A receiver of the tenant's events, as a customer runs one: it checks each delivery's signature with the secret
# the API answers when the endpoint is registered below (docs/webhooks.md), and lists what arrived.
WEBHOOKS_URL="http://127.0.0.1:$TQ_WEBHOOKS_PORT"
if ! running_pid webhooks >/dev/null; then
  command -v python3 >/dev/null || apt_install python3
  touch "$TQ_STATE_DIR/webhook-secret"
  setsid python3 "$TQ_ROOT/scripts/lib/webhook_receiver.py" "$TQ_WEBHOOKS_PORT" "$TQ_STATE_DIR/webhook-events.jsonl" \
    "$TQ_STATE_DIR/webhook-secret" 127.0.0.1 >"$TQ_RUN_DIR/webhooks.log" 2>&1 &
  echo $! >"$TQ_RUN_DIR/webhooks.pid"
fi
wait_for_url "$WEBHOOKS_URL/events.json" 20 "$(running_pid webhooks || true)" || die "the webhook receiver did not start; see $TQ_RUN_DIR/webhooks.log"
PGHOST=127.0.0.1 PGPORT="$TQ_PG_PORT" PGUSER=postgres PGDATABASE="$TQ_DB_NAME" SEED_API_URL="$API_URL" SEED_IDP_URL="$IDP_URL" \
  SEED_WEBHOOK_URL="$WEBHOOKS_URL/hooks" SEED_SECRET_FILE="$TQ_STATE_DIR/webhook-secret" SEED_SCRATCH="$TQ_RUN_DIR" \
  bash "$TQ_ROOT/scripts/lib/seed-governance-demo.sh" || die "seeding the governance demo failed"

# ---- summary -----------------------------------------------------------------------------------------
if [ "$USE_LOCALSTRIPE" -eq 1 ]; then
  stripe_line="LocalStripe         $LOCALSTRIPE_URL      (state in memory; meter events: $LOCALSTRIPE_URL/_meter_events)"
elif [ -n "$STRIPE_SECRET_KEY" ]; then
  stripe_line="Stripe              $STRIPE_BASE_URL  (run the catalogue sync yourself: README.md, Billing)"
else
  stripe_line="Stripe              billing off (no Stripe__SecretKey)"
fi
cat <<TXT

TenantQuota is running (loopback only):
  Demo product        $API_URL/demo   (a fake AI writing app: spend quota, watch the meter, the warnings and the stop)
  Admin dashboard     $API_URL/dashboard   (sign in as umbrella-admin@example.com / umbrella-admin-password: the governance demo)
  API                 $API_URL        (OpenAPI: $API_URL/openapi/v1.json, readiness: $API_URL/health/ready)
  Identity provider   $IDP_URL        (discovery: $IDP_URL/.well-known/openid-configuration)
  Billing worker      $WORKER_URL        (readiness: $WORKER_URL/health/ready, overage pipeline: $WORKER_URL/billing/health)
  Webhook receiver    $WEBHOOKS_URL        (Umbrella's alerts and reports as its endpoint received them)
  $stripe_line
  PostgreSQL          127.0.0.1:$TQ_PG_PORT  database $TQ_DB_NAME, user $TQ_DB_USER
  RabbitMQ            127.0.0.1:$TQ_RABBITMQ_PORT   virtual host $TQ_RABBITMQ_VHOST, user $TQ_RABBITMQ_USER
  Logs and pid files  $TQ_RUN_DIR
Demo clients and dashboard users: see README.md (e.g. acme-backend / acme-dev-secret, platform-admin / platform-admin-secret).
Try:  TOKEN=\$(curl -s -u acme-backend:acme-dev-secret -d grant_type=client_credentials $IDP_URL/token | sed 's/.*"access_token":"\([^"]*\)".*/\1/')
      curl -s -H "Authorization: Bearer \$TOKEN" -H 'Content-Type: application/json' \\
           -d '{"subjectId":"user-42","operationClass":"summaries","quantity":1}' $API_URL/v1/entitlements/check
TXT
if [ "$USE_LOCALSTRIPE" -eq 1 ]; then
  cat <<TXT
Upgrade acme to pro (README.md, "Upgrade and overage"): open the printed page in a browser and press Pay;
LocalStripe's webhook moves acme to pro.
      ADMIN=\$(curl -s -u acme-admin:acme-admin-secret -d grant_type=client_credentials $IDP_URL/token | sed 's/.*"access_token":"\([^"]*\)".*/\1/')
      curl -s -H "Authorization: Bearer \$ADMIN" -H 'Content-Type: application/json' \\
           -d '{"tier":"pro","successUrl":"$API_URL/docs","cancelUrl":"$API_URL/docs"}' \\
           $API_URL/v1/billing/checkout-sessions | sed 's/.*"url":"\([^"]*\)".*/\1/'; echo
Then overage: on pro a subject has 50 deep_research a month; each one past that is billed (overQuota: overage):
      RUN=\$(date +%s); for i in \$(seq 1 53); do curl -s -o /dev/null -H "Authorization: Bearer \$TOKEN" -H 'Content-Type: application/json' \\
           -d "{\"subjectId\":\"user-\$RUN\",\"operationClass\":\"deep_research\",\"quantity\":1,\"idempotencyKey\":\"demo-\$RUN-\$i\"}" \\
           $API_URL/v1/entitlements/consume; done
      sleep 3; curl -s $LOCALSTRIPE_URL/_meter_events      # one meter event per consume past 50
Overage of a tenant that never checked out (globex, say) is held until it does, then sent.
TXT
fi
echo "Stop with scripts/stop.sh."
