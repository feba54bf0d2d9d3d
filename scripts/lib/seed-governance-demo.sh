#!/usr/bin/env bash
# The governance demo, seeded through the API as Umbrella's tenant admin (enterprise, the bundled umbrella-admin
# client): a tenant budget and three departments with 70/90/100 % alerts, five people placed in them, an anomaly
# policy that notifies, a webhook endpoint for the demo's receiver (its secret written where the receiver reads
# it), and two weeks of history in the rollups so that forecasts have a pace. Only what is missing is created:
# what an admin changed (in the dashboard, say) stays as they left it. Run by scripts/start.sh and by
# docker-compose's seed service.
#   SEED_API_URL, SEED_IDP_URL, SEED_WEBHOOK_URL (the URL to register), SEED_SECRET_FILE, SEED_SCRATCH (a folder);
#   PGHOST, PGPORT, PGUSER, PGDATABASE (and PGPASSWORD) for psql.
set -euo pipefail
fail() { echo "seed-governance-demo: $*" >&2; exit 1; }
access_token() { sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p'; }

umbrella_token="$(curl -fsS -u umbrella-admin:umbrella-admin-secret -d grant_type=client_credentials "$SEED_IDP_URL/token" | access_token)"
[ -n "$umbrella_token" ] || fail "no access token for umbrella-admin from $SEED_IDP_URL/token"
umbrella_call() { # METHOD PATH [JSON]: prints the HTTP status; the body goes to $SEED_SCRATCH/seed-call.json
  curl -sS -o "$SEED_SCRATCH/seed-call.json" -w '%{http_code}' -X "$1" -H "Authorization: Bearer $umbrella_token" \
    ${3:+-H 'Content-Type: application/json' -d "$3"} "$SEED_API_URL$2"
}
seed_once() { # GET-PATH PUT-PATH JSON
  [ "$(umbrella_call GET "$1")" = 404 ] || return 0
  local status; status="$(umbrella_call PUT "$2" "$3")"
  case "$status" in 200|201) ;; *) cat "$SEED_SCRATCH/seed-call.json" >&2; fail "seeding $2 answered HTTP $status" ;; esac
}
thresholds='"alertThresholds":[0.7,0.9,1.0]'
seed_once /v1/tenant/budget /v1/tenant/budget "{\"limit\":20000,\"unit\":\"request\",\"period\":\"monthly\",\"overQuota\":\"warn\",$thresholds}"
for department in "marketing|Marketing|normal|400" "research|Research|high|6000" "support|Support|low|3000"; do
  IFS='|' read -r id name priority limit <<<"$department"
  seed_once "/v1/tenant/departments/$id" "/v1/tenant/departments/$id" \
    "{\"name\":\"$name\",\"priority\":\"$priority\",\"budget\":{\"limit\":$limit,\"unit\":\"request\",\"period\":\"monthly\",\"overQuota\":\"block\",$thresholds}}"
done
DEMO_PEOPLE=("ana|marketing" "ben|marketing" "carla|research" "dev|research" "eve|support")
for person in "${DEMO_PEOPLE[@]}"; do
  IFS='|' read -r subject department <<<"$person"
  [ "$(umbrella_call GET "/v1/tenant/subjects/$subject")" = 200 ] && grep -q '"departmentId":null' "$SEED_SCRATCH/seed-call.json" \
    && umbrella_call PUT "/v1/tenant/subjects/$subject" "{\"departmentId\":\"$department\"}" >/dev/null
done
seed_once /v1/tenant/anomaly-policy /v1/tenant/anomaly-policy '{"metric":"summaries","minimumVolume":40,"action":"notify"}'
[ "$(umbrella_call GET /v1/tenant/webhooks)" = 200 ] || fail "listing Umbrella's webhooks failed"
if ! grep -qF "\"$SEED_WEBHOOK_URL\"" "$SEED_SCRATCH/seed-call.json"; then
  status="$(umbrella_call POST /v1/tenant/webhooks "{\"url\":\"$SEED_WEBHOOK_URL\",\"events\":[\"*\"]}")"
  [ "$status" = 201 ] || fail "registering the demo webhook receiver answered HTTP $status"
  sed -n 's/.*"secret":"\([^"]*\)".*/\1/p' "$SEED_SCRATCH/seed-call.json" >"$SEED_SECRET_FILE"
fi
# Two weeks of history before today, as the worker's rollups (migrations 0014, 0018) would hold it, so the forecast has a pace to go on:
# weekdays busy from 08:00 to 17:00 UTC, weekends quiet. Days already there are left alone.
psql -q -v ON_ERROR_STOP=1 -c "
  INSERT INTO usage_hourly (tenant_id, hour, operation_class, department_id, subject_id, model, quantity, input_tokens, output_tokens, cost_micro_usd, records)
  SELECT 'umbrella', d + make_interval(hours => h), c, p.department, p.subject, '', q, 0, 0, 0, q
    FROM generate_series(date_trunc('day', now(), 'UTC') - interval '14 days', date_trunc('day', now(), 'UTC') - interval '1 day', interval '1 day') AS d,
         generate_series(8, 16) AS h,
         (VALUES ('ana', 'marketing'), ('ben', 'marketing'), ('carla', 'research'), ('dev', 'research'), ('eve', 'support')) AS p (subject, department),
         (VALUES ('summaries'), ('drafts')) AS k (c),
         LATERAL (SELECT CASE WHEN extract(isodow FROM d) < 6 THEN 2 + (h + length(p.subject)) % 3 ELSE (h % 4) / 3 END AS q) AS amount
   WHERE q > 0
  ON CONFLICT DO NOTHING;
  INSERT INTO usage_hourly_groups (tenant_id, hour, operation_class, department_id, model, quantity, input_tokens, output_tokens, cost_micro_usd, records)
  SELECT tenant_id, hour, operation_class, department_id, model, sum(quantity), 0, 0, 0, sum(records) FROM usage_hourly
   WHERE tenant_id = 'umbrella' AND hour < date_trunc('day', now(), 'UTC') AND hour >= date_trunc('day', now(), 'UTC') - interval '14 days'
   GROUP BY 1, 2, 3, 4, 5
  ON CONFLICT DO NOTHING;
  INSERT INTO usage_daily (tenant_id, day, operation_class, department_id, subject_id, model, quantity, input_tokens, output_tokens, cost_micro_usd, records)
  SELECT tenant_id, date_trunc('day', hour, 'UTC'), operation_class, department_id, subject_id, model, sum(quantity), 0, 0, 0, sum(records) FROM usage_hourly
   WHERE tenant_id = 'umbrella' AND hour < date_trunc('day', now(), 'UTC') AND hour >= date_trunc('day', now(), 'UTC') - interval '14 days'
   GROUP BY 1, 2, 3, 4, 5, 6
  ON CONFLICT DO NOTHING;
  INSERT INTO usage_hourly_subjects
  SELECT tenant_id, hour, subject_id, sum(quantity), 0, 0, 0, sum(records) FROM usage_hourly
   WHERE tenant_id = 'umbrella' AND hour < date_trunc('day', now(), 'UTC') AND hour >= date_trunc('day', now(), 'UTC') - interval '14 days'
   GROUP BY 1, 2, 3
  ON CONFLICT DO NOTHING;
  INSERT INTO usage_daily_subjects
  SELECT tenant_id, date_trunc('day', hour, 'UTC'), subject_id, sum(quantity), 0, 0, 0, sum(records) FROM usage_hourly
   WHERE tenant_id = 'umbrella' AND hour < date_trunc('day', now(), 'UTC') AND hour >= date_trunc('day', now(), 'UTC') - interval '14 days'
   GROUP BY 1, 2, 3
  ON CONFLICT DO NOTHING;" >/dev/null
rm -f "$SEED_SCRATCH/seed-call.json"
