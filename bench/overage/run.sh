#!/usr/bin/env bash
# Overage pipeline benchmark: how many overage events a second get from a consume to Stripe
# (LocalStripe) on this machine. Starts a stack of its own on other ports than scripts/start.sh's
# (identity, API, worker, LocalStripe from fresh Release publishes), over a database of its own on the
# stack's PostgreSQL and a RabbitMQ virtual host of its own, and leaves the development stack alone.
#   live   the worker runs while wrk sends billable consumes as fast as it can for BENCH_OV_DURATION;
#          then it waits until every billable usage record has its meter event at LocalStripe.
#          Reports the consume rate and the end-to-end rate (records / first consume → last meter event).
#   drain  the worker is stopped while wrk builds a backlog for BENCH_OV_DRAIN_DURATION, then started:
#          the pipeline's own capacity (outbox → RabbitMQ → consumer → Stripe → recorded), events/s.
# Every phase is checked: billable records == distinct identifiers at LocalStripe, none lost, none twice.
# Knobs and method: bench/README.md, "Overage pipeline".
source "$(dirname "$0")/../../scripts/lib/common.sh"

BENCH_DIR="$TQ_ROOT/bench"
RUN_ID="${BENCH_OV_RUN_ID:-$(date -u +%Y%m%dT%H%M%SZ)-$$}"
API_PORT="${BENCH_OV_API_PORT:-5180}"
IDP_PORT="${BENCH_OV_IDP_PORT:-5101}"
WORKER_PORT="${BENCH_OV_WORKER_PORT:-5190}"
STRIPE_PORT="${BENCH_OV_STRIPE_PORT:-12211}"
DB_NAME="${BENCH_OV_DB:-tenantquota_bench_overage}"
VHOST="${BENCH_OV_VHOST:-tenantquota_bench_overage}"
DURATION="${BENCH_OV_DURATION:-20s}"
DRAIN_DURATION="${BENCH_OV_DRAIN_DURATION:-15s}"
CONNECTIONS="${BENCH_OV_CONNECTIONS:-16}"
THREADS="${BENCH_OV_THREADS:-2}"
SUBJECTS="${BENCH_OV_SUBJECTS:-64}"
PHASES="${BENCH_OV_PHASES:-live drain}"
SETTLE_TIMEOUT="${BENCH_OV_SETTLE_TIMEOUT:-600}"
STATE="$TQ_STATE_DIR/bench-overage"
RESULTS="${BENCH_RESULTS:-$BENCH_DIR/results}/overage-$RUN_ID"
SECRET_KEY="sk_test_bench_overage"
API_URL="http://127.0.0.1:$API_PORT"
IDP_URL="http://127.0.0.1:$IDP_PORT"
WORKER_URL="http://127.0.0.1:$WORKER_PORT"
STRIPE_URL="http://127.0.0.1:$STRIPE_PORT"
TENANT="bench"   # demo-seed.json's bench-backend client belongs to it

for knob in CONNECTIONS THREADS SUBJECTS SETTLE_TIMEOUT; do
  [[ "${!knob}" =~ ^[1-9][0-9]*$ ]] || die "BENCH_OV_$knob must be a positive integer (got '${!knob}')"
done
for knob in DURATION DRAIN_DURATION; do
  [[ "${!knob}" =~ ^[0-9]+s$ ]] || die "BENCH_OV_$knob must be seconds like 20s (got '${!knob}')"
done
for phase in $PHASES; do [[ "$phase" =~ ^(live|drain)$ ]] || die "BENCH_OV_PHASES takes live and drain (got '$phase')"; done
[[ "$DB_NAME" =~ ^[a-z_][a-z0-9_]*$ ]] && [ "$DB_NAME" != "$TQ_DB_NAME" ] || die "BENCH_OV_DB must be a plain name other than $TQ_DB_NAME"
[ "$VHOST" != "$TQ_RABBITMQ_VHOST" ] && [[ "$VHOST" != tenantquota_test_* ]] || die "BENCH_OV_VHOST must not be the stack's or the tests' virtual host"
for port in "$API_PORT" "$IDP_PORT" "$WORKER_PORT" "$STRIPE_PORT"; do
  ! ss -ltn "sport = :$port" 2>/dev/null | grep -q LISTEN || die "port $port is taken; set BENCH_OV_*_PORT"
done

ensure_tools
command -v wrk >/dev/null || apt_install wrk
command -v jq >/dev/null || apt_install jq
mkdir -p "$STATE/logs" "$RESULTS"

# --- our processes: started here, stopped here, by pid -----------------------------------------
declare -A PIDS=()
stop_host() {
  local name="$1" pid="${PIDS[$1]:-}" i
  [ -n "$pid" ] || return 0
  kill "$pid" 2>/dev/null || true
  for ((i = 0; i < 40; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
  kill -9 "$pid" 2>/dev/null || true
  unset "PIDS[$name]"
}
cleanup() {
  local name
  for name in worker api identity localstripe; do stop_host "$name"; done
  if [ "${BENCH_OV_KEEP_DATA:-0}" != 1 ]; then
    psql_admin "$TQ_PG_PORT" postgres -c "DROP DATABASE IF EXISTS $DB_NAME WITH (FORCE)" >/dev/null 2>&1 || true
    rmqctl 60 delete_vhost "$VHOST" >/dev/null 2>&1 || true
  fi
}
trap cleanup EXIT

# start_host NAME DLL URL READY_PATH [VAR=value ...]: runs $STATE/bin/NAME/DLL in the background.
start_host() {
  local name="$1" dll="$2" url="$3" ready="$4"; shift 4
  (
    cd "$STATE/bin/$name"
    export ASPNETCORE_ENVIRONMENT=Production
    for assignment in "$@"; do export "$assignment"; done
    exec setsid dotnet "$dll" --urls "$url"
  ) >>"$STATE/logs/$name.log" 2>&1 &
  PIDS[$name]=$!
  wait_for_url "$url$ready" 120 "${PIDS[$name]}" || { tail -n 30 "$STATE/logs/$name.log" >&2; die "$name did not come up; see $STATE/logs/$name.log"; }
}

sql() { psql_admin "$TQ_PG_PORT" "$DB_NAME" -tAX "$@"; }
now() { date +%s.%N; }

# --- build ---------------------------------------------------------------------------------------
if [ "${BENCH_OV_SKIP_BUILD:-0}" != 1 ]; then
  for project in TenantQuota.Identity TenantQuota.Api TenantQuota.Worker TenantQuota.LocalStripe; do
    name="${project#TenantQuota.}"; name="${name,,}"
    log "publishing $project (Release) to $STATE/bin/$name"
    dotnet publish "$TQ_ROOT/src/$project/$project.csproj" -c Release -o "$STATE/bin/$name" --nologo -v quiet >"$STATE/logs/build-$name.log" 2>&1 \
      || { tail -n 30 "$STATE/logs/build-$name.log" >&2; die "the $project build failed"; }
  done
fi

# --- services of our own: database, virtual host, hosts ----------------------------------------
ensure_postgres "$TQ_STATE_DIR/pg" "$TQ_PG_PORT"
psql_admin "$TQ_PG_PORT" postgres -c "DROP DATABASE IF EXISTS $DB_NAME WITH (FORCE)" >/dev/null
ensure_database "$TQ_PG_PORT" "$DB_NAME"
ensure_rabbitmq
recreate_rabbitmq_vhost "$VHOST"
CONNECTION="$(connection_string "$TQ_PG_PORT" "$DB_NAME")"
for log_file in "$STATE"/logs/{localstripe,identity,api,worker}.log; do : >"$log_file"; done

log "starting LocalStripe on $STRIPE_URL"
start_host localstripe TenantQuota.LocalStripe.dll "$STRIPE_URL" / "LocalStripe__SecretKey=$SECRET_KEY"
log "starting the identity provider on $IDP_URL"
start_host identity TenantQuota.Identity.dll "$IDP_URL" /.well-known/openid-configuration \
  "ConnectionStrings__TenantQuota=$CONNECTION" "Identity__Issuer=$IDP_URL" "Identity__KeysPath=$STATE/identity-keys" \
  "Identity__RequireHttps=false" "Identity__SeedFile=$TQ_ROOT/src/TenantQuota.Identity/demo-seed.json"
log "starting the API on $API_URL"
start_host api TenantQuota.Api.dll "$API_URL" /health/ready \
  "ConnectionStrings__TenantQuota=$CONNECTION" "Auth__Authority=$IDP_URL" "Auth__RequireHttpsMetadata=false"
WORKER_ENV=("ConnectionStrings__TenantQuota=$CONNECTION" "RabbitMq__Host=127.0.0.1" "RabbitMq__Port=$TQ_RABBITMQ_PORT"
  "RabbitMq__VirtualHost=$VHOST" "RabbitMq__Username=$TQ_RABBITMQ_USER" "RabbitMq__Password=$TQ_RABBITMQ_PASSWORD"
  "Stripe__SecretKey=$SECRET_KEY" "Stripe__BaseUrl=$STRIPE_URL")
# Extra worker settings to compare, e.g. BENCH_OV_WORKER_SETTINGS="Worker__ConcurrentMessageLimit=32 Logging__LogLevel__Default=Warning".
read -r -a extra <<<"${BENCH_OV_WORKER_SETTINGS:-}"
for assignment in "${extra[@]}"; do
  [[ "$assignment" =~ ^[A-Za-z_][A-Za-z0-9_.]*= ]] || die "BENCH_OV_WORKER_SETTINGS takes NAME=value words (got '$assignment')"
  WORKER_ENV+=("$assignment")
done
start_worker() { log "starting the worker on $WORKER_URL"; start_host worker TenantQuota.Worker.dll "$WORKER_URL" /health/ready "${WORKER_ENV[@]}"; }

token_for() { curl -fsS --max-time 10 -u "$1" -d grant_type=client_credentials "$IDP_URL/token" | access_token; }
admin_token="$(token_for platform-admin:platform-admin-secret)"
[ -n "$admin_token" ] || die "no token for platform-admin from $IDP_URL"
status="$(curl -sS -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $admin_token" -H 'Content-Type: application/json' \
  -d "{\"id\":\"$TENANT\",\"name\":\"Overage benchmark\",\"tier\":\"pro\",\"timeZone\":\"UTC\"}" "$API_URL/v1/tenants")"
[ "$status" = 201 ] || die "creating tenant $TENANT answered HTTP $status"

# What checkout and the catalogue sync would have done: a Stripe customer and a drafts meter, recorded.
customer="$(curl -fsS -u "$SECRET_KEY:" -d name=bench -d "metadata[tenant_id]=$TENANT" "$STRIPE_URL/v1/customers" | jq -r .id)"
event_name="tq_drafts_bench_overage"
meter="$(curl -fsS -u "$SECRET_KEY:" -d "display_name=Overage drafts" -d "event_name=$event_name" -d "default_aggregation[formula]=sum" \
  -d "customer_mapping[type]=by_id" -d "customer_mapping[event_payload_key]=stripe_customer_id" -d "value_settings[event_payload_key]=value" \
  "$STRIPE_URL/v1/billing/meters" | jq -r .id)"
sql -c "INSERT INTO billing_customers (tenant_id, stripe_customer_id, created_at) VALUES ('$TENANT', '$customer', now())" \
    -c "INSERT INTO stripe_catalog (kind, key, stripe_id, event_name, updated_at) VALUES ('meter', 'drafts', '$meter', '$event_name', now())" >/dev/null

# Every subject at the pro drafts hard limit (400 a day): from here on each consume of 1 is billable.
BENCH_TOKEN="$(token_for bench-backend:bench-dev-secret)"
for ((s = 0; s < SUBJECTS; s++)); do
  curl -fsS -o /dev/null -H "Authorization: Bearer $BENCH_TOKEN" -H 'Content-Type: application/json' \
    -d "{\"subjectId\":\"ov-$s\",\"operationClass\":\"drafts\",\"quantity\":400,\"idempotencyKey\":\"ov-$RUN_ID-fill-$s\"}" \
    "$API_URL/v1/entitlements/consume" || die "filling subject ov-$s failed"
done

# --- phases --------------------------------------------------------------------------------------
field() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<" $1"; }
run_wrk() { # phase duration → LINE
  BENCH_TOKEN="$(token_for bench-backend:bench-dev-secret)"
  log "$1: wrk for $2 ($CONNECTIONS connections, $THREADS threads)"
  BENCH_TOKEN="$BENCH_TOKEN" BENCH_SCENARIO=overage BENCH_PHASE="$1" BENCH_RUN_ID="$RUN_ID" BENCH_THREADS="$THREADS" BENCH_OV_SUBJECTS="$SUBJECTS" \
    wrk --latency -t "$THREADS" -c "$CONNECTIONS" -d "$2" --timeout 10s -s "$BENCH_DIR/overage/consume-overage.lua" "$API_URL" >"$RESULTS/wrk-$1.txt" 2>&1 \
    || { cat "$RESULTS/wrk-$1.txt" >&2; die "wrk failed ($1)"; }
  LINE="$(grep '^BENCH ' "$RESULTS/wrk-$1.txt" | tail -n 1)"
  [ -n "$LINE" ] || { cat "$RESULTS/wrk-$1.txt" >&2; die "wrk printed no BENCH line ($1)"; }
}
phase_rows() { # the phase's billable records
  echo "FROM billing_outbox o JOIN usage_records u ON u.tenant_id = o.tenant_id AND u.id = o.usage_record_id
        WHERE u.tenant_id = '$TENANT' AND u.idempotency_key LIKE 'ov-$RUN_ID-$1-%'"
}
wait_settled() { # phase: every billable record of the phase recorded as sent by the worker
  local billable sent i
  billable="$(sql -c "SELECT count(*) $(phase_rows "$1")")"
  for ((i = 0; i < SETTLE_TIMEOUT * 5; i++)); do
    sent="$(sql -c "SELECT count(*) $(phase_rows "$1") AND EXISTS (SELECT 1 FROM billing_meter_events m WHERE m.usage_record_id = o.usage_record_id)")"
    [ "$sent" = "$billable" ] && return 0
    sleep 0.2
  done
  die "$1: only $sent of $billable billable records reached Stripe within ${SETTLE_TIMEOUT}s; see $STATE/logs/worker.log"
}
# LocalStripe's view of every meter event, loaded next to the records so one query compares them.
load_stripe_events() {
  curl -fsS "$STRIPE_URL/_meter_events" | jq -r --arg c "$customer" \
    '.events[] | select(.payload.stripe_customer_id == $c) | [.identifier, .receivedAt, .duplicatesSeen, .payload.value] | @csv' >"$RESULTS/stripe-events.csv"
  sql -c "DROP TABLE IF EXISTS bench_stripe_events" \
      -c "CREATE TABLE bench_stripe_events (identifier text, received_at timestamptz, duplicates int, value bigint)" \
      -c "\\copy bench_stripe_events FROM '$RESULTS/stripe-events.csv' WITH (FORMAT csv)" >/dev/null
}
phase_report() { # phase [worker-started-at, epoch seconds] → one line of key=value
  local from_worker="${2:-NULL}"
  sql -F ' ' -c "
    WITH r AS (SELECT o.usage_record_id::text AS id, o.quantity, o.occurred_at $(phase_rows "$1")),
         e AS (SELECT * FROM bench_stripe_events WHERE identifier IN (SELECT id FROM r)),
         t AS (SELECT (SELECT min(occurred_at) FROM r) AS first_consume, (SELECT max(occurred_at) FROM r) AS last_consume,
                      (SELECT min(received_at) FROM e) AS first_event, (SELECT max(received_at) FROM e) AS last_event)
    SELECT 'billable=' || (SELECT count(*) FROM r),
           'at_stripe=' || (SELECT count(DISTINCT identifier) FROM e),
           'lost=' || (SELECT count(*) FROM r WHERE id NOT IN (SELECT identifier FROM e)),
           'double_billed=' || (SELECT count(*) - count(DISTINCT identifier) FROM e),
           'wrong_value=' || (SELECT count(*) FROM e JOIN r ON r.id = e.identifier WHERE e.value <> r.quantity),
           'duplicates_refused=' || (SELECT coalesce(sum(duplicates), 0) FROM e),
           'consume_span_s=' || round(extract(epoch FROM last_consume - first_consume)::numeric, 2),
           'e2e_span_s=' || round(extract(epoch FROM last_event - first_consume)::numeric, 2),
           'e2e_per_s=' || round((SELECT count(*) FROM r) / nullif(extract(epoch FROM last_event - first_consume), 0)::numeric, 1),
           'tail_after_load_s=' || round(extract(epoch FROM last_event - last_consume)::numeric, 2),
           'stripe_span_s=' || round(extract(epoch FROM last_event - first_event)::numeric, 2),
           'stripe_per_s=' || round(((SELECT count(*) FROM r) - 1) / nullif(extract(epoch FROM last_event - first_event), 0)::numeric, 1),
           'from_worker_start_s=' || coalesce(round(extract(epoch FROM last_event - to_timestamp($from_worker))::numeric, 2)::text, '-'),
           'latency_p50_ms=' || (SELECT round(percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM e.received_at - r.occurred_at))::numeric * 1000) FROM e JOIN r ON r.id = e.identifier),
           'latency_p99_ms=' || (SELECT round(percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM e.received_at - r.occurred_at))::numeric * 1000) FROM e JOIN r ON r.id = e.identifier),
           'latency_max_ms=' || (SELECT round(max(extract(epoch FROM e.received_at - r.occurred_at))::numeric * 1000) FROM e JOIN r ON r.id = e.identifier)
      FROM t"
}

load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
declare -A REPORT WRK
failed=0
for phase in $PHASES; do
  case "$phase" in
    live)
      [ -n "${PIDS[worker]:-}" ] || start_worker
      run_wrk live "$DURATION"
      wait_settled live
      worker_started=""
      ;;
    drain)
      stop_host worker
      run_wrk drain "$DRAIN_DURATION"
      worker_started="$(now)"
      start_worker
      wait_settled drain
      ;;
  esac
  WRK[$phase]="$LINE"
  load_stripe_events
  REPORT[$phase]="$(phase_report "$phase" "$worker_started")"
  log "$phase: ${REPORT[$phase]}"
  r="${REPORT[$phase]}"
  if [ "$(field "$r" lost)" != 0 ] || [ "$(field "$r" double_billed)" != 0 ] || [ "$(field "$r" wrong_value)" != 0 ] \
     || [ "$(field "$r" billable)" != "$(field "$r" at_stripe)" ] || [ "$(field "$LINE" non2xx)" != 0 ] || [ "$(field "$LINE" socket_errors)" != 0 ]; then
    failed=1
  fi
done

summary="$RESULTS/summary.txt"
{
  echo "TenantQuota overage pipeline benchmark $RUN_ID"
  echo "date:      $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "commit:    $(git -C "$TQ_ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$TQ_ROOT" diff --quiet HEAD -- src 2>/dev/null || echo ' (src has uncommitted changes)')"
  echo "machine:   $(nproc) cores ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)), load before $load_before"
  echo "load:      wrk $THREADS threads × $CONNECTIONS connections, live $DURATION, drain backlog $DRAIN_DURATION; pro/drafts past the hard limit on $SUBJECTS subjects, quantity 1: every consume billable"
  echo "stack:     API $API_URL, worker $WORKER_URL (settings: ${BENCH_OV_WORKER_SETTINGS:-production defaults}), LocalStripe $STRIPE_URL, PostgreSQL 127.0.0.1:$TQ_PG_PORT/$DB_NAME, RabbitMQ vhost $VHOST; all on this machine"
  echo
  for phase in $PHASES; do
    w="${WRK[$phase]}"; r="${REPORT[$phase]}"
    echo "$phase:"
    echo "  consumes   $(field "$w" requests) sent by wrk at $(field "$w" rps)/s (p50 $(field "$w" p50_ms) ms, p99 $(field "$w" p99_ms) ms), non-2xx $(field "$w" non2xx), socket errors $(field "$w" socket_errors)"
    echo "  billable   $(field "$r" billable) usage records; at Stripe $(field "$r" at_stripe); lost $(field "$r" lost); double-billed $(field "$r" double_billed); wrong value $(field "$r" wrong_value); duplicates refused $(field "$r" duplicates_refused)"
    if [ "$phase" = live ]; then
      echo "  end to end $(field "$r" e2e_per_s) events/s: first consume → last meter event at Stripe $(field "$r" e2e_span_s) s (consumes took $(field "$r" consume_span_s) s; last event $(field "$r" tail_after_load_s) s after the last consume)"
      echo "  latency    consume → meter event at Stripe p50 $(field "$r" latency_p50_ms) ms, p99 $(field "$r" latency_p99_ms) ms, max $(field "$r" latency_max_ms) ms"
    else
      echo "  pipeline   $(field "$r" stripe_per_s) events/s draining the backlog: first → last meter event $(field "$r" stripe_span_s) s ($(field "$r" from_worker_start_s) s from starting the worker process)"
    fi
    echo "  raw        $r"
  done
  echo
  echo "logs:      $STATE/logs/   raw: $RESULTS/"
  [ "$failed" = 0 ] && echo "RESULT: ok" || echo "RESULT: FAILED (lost, double-billed or wrong meter events, or failed consumes; see above)"
} >"$summary"
cp "$summary" "$(dirname "$RESULTS")/overage-latest.txt"
echo
cat "$summary"
[ "$failed" = 0 ] || die "overage benchmark $RUN_ID FAILED"
