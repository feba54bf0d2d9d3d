#!/usr/bin/env bash
# Usage analytics speed (issue 10: "answering in < 50 ms for a month of a 1,000-person tenant's data").
#
# Seeds a month of rollups for tenant bench-budgets as the worker would write them: 1,000 people in 10 departments,
# each using 2 classes (one with a model) 8 hours a day on the month's weekdays: about 340,000 hourly rows with the
# person, 3,500 without, and 42,000 daily rows; per person alone (0018) 168,000 hourly and 21,000 daily rows. Then times GET /v1/tenant/usage through the running API (JWT validated, as a dashboard calls it):
# BENCH_ANALYTICS_RUNS calls per query after 5 warm-ups, p50 / p95 / max of curl's total time. Writes nothing else.
# Stop the worker first, as for scripts/bench.sh: its rollups and outbox would share the cores with the measurement.
#   scripts/start.sh && kill "$(cat "$TQ_RUN_DIR/worker.pid")" && bench/analytics.sh
set -euo pipefail
source "$(dirname "$0")/../scripts/lib/common.sh"

API_URL="${BENCH_API_URL:-http://127.0.0.1:$TQ_API_PORT}"
IDP_URL="${BENCH_IDP_URL:-http://127.0.0.1:$TQ_IDENTITY_PORT}"
RUNS="${BENCH_ANALYTICS_RUNS:-30}"
TENANT=bench-budgets
PEOPLE=1000

psql_bench() { psql -qtAX -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$TQ_PG_PORT" -U postgres -d "$TQ_DB_NAME" "$@"; }
die() { echo "analytics bench: $*" >&2; exit 1; }

curl -fsS -o /dev/null --max-time 5 "$API_URL/health/ready" || die "the API does not answer at $API_URL (scripts/start.sh)"
[ "$(psql_bench -c "SELECT count(*) FROM tenants WHERE id = '$TENANT'")" = 1 ] || die "tenant $TENANT does not exist (scripts/start.sh creates it)"
token() { # a fresh one per query: tokens live 5 minutes
  TOKEN="$(curl -fsS -u bench-budgets-admin:bench-budgets-admin-secret -d grant_type=client_credentials "$IDP_URL/token" | sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p')"
  [ -n "$TOKEN" ] || die "no token for bench-budgets-admin from $IDP_URL"
}

# Last month, in UTC: complete, and never touched by the worker's rollup of today's records.
MONTH_START="$(date -u -d "$(date -u +%Y-%m-01) -1 month" +%Y-%m-01)"
MONTH_END="$(date -u +%Y-%m-01)"
if [ "$(psql_bench -c "SELECT count(*) FROM usage_daily WHERE tenant_id = '$TENANT' AND day >= '$MONTH_START' AND day < '$MONTH_END' AND subject_id = 'bench-analytics-0'")" = 0 ]; then
  echo "seeding a month of rollups ($MONTH_START) for $PEOPLE people of $TENANT …"
  psql_bench -c "
    INSERT INTO usage_hourly (tenant_id, hour, operation_class, department_id, subject_id, model, quantity, input_tokens, output_tokens, cost_micro_usd, records)
    SELECT '$TENANT', d + make_interval(hours => 8 + h), c.class, 'dept-' || (p % 10), 'bench-analytics-' || p, c.model,
           1 + (p + h) % 5, c.tokens * 1000, c.tokens * 200, c.tokens * (2500 + p % 700), 1 + (p + h) % 5
      FROM generate_series(timestamptz '$MONTH_START', timestamptz '$MONTH_END' - interval '1 day', interval '1 day') AS d,
           generate_series(0, 7) AS h, generate_series(0, $PEOPLE - 1) AS p,
           (VALUES ('summaries', 'gpt-large', 1), ('drafts', '', 0)) AS c (class, model, tokens)
     WHERE extract(isodow FROM d) < 6
    ON CONFLICT DO NOTHING;
    INSERT INTO usage_hourly_groups (tenant_id, hour, operation_class, department_id, model, quantity, input_tokens, output_tokens, cost_micro_usd, records)
    SELECT tenant_id, hour, operation_class, department_id, model, sum(quantity), sum(input_tokens), sum(output_tokens), sum(cost_micro_usd), sum(records)
      FROM usage_hourly WHERE tenant_id = '$TENANT' AND hour >= '$MONTH_START' AND hour < '$MONTH_END' AND subject_id LIKE 'bench-analytics-%'
     GROUP BY 1, 2, 3, 4, 5
    ON CONFLICT DO NOTHING;
    INSERT INTO usage_daily (tenant_id, day, operation_class, department_id, subject_id, model, quantity, input_tokens, output_tokens, cost_micro_usd, records)
    SELECT tenant_id, date_trunc('day', hour, 'UTC'), operation_class, department_id, subject_id, model,
           sum(quantity), sum(input_tokens), sum(output_tokens), sum(cost_micro_usd), sum(records)
      FROM usage_hourly WHERE tenant_id = '$TENANT' AND hour >= '$MONTH_START' AND hour < '$MONTH_END' AND subject_id LIKE 'bench-analytics-%'
     GROUP BY 1, 2, 3, 4, 5, 6
    ON CONFLICT DO NOTHING;
    INSERT INTO usage_hourly_subjects (tenant_id, hour, subject_id, quantity, input_tokens, output_tokens, cost_micro_usd, records)
    SELECT tenant_id, hour, subject_id, sum(quantity), sum(input_tokens), sum(output_tokens), sum(cost_micro_usd), sum(records)
      FROM usage_hourly WHERE tenant_id = '$TENANT' AND hour >= '$MONTH_START' AND hour < '$MONTH_END' AND subject_id LIKE 'bench-analytics-%'
     GROUP BY 1, 2, 3
    ON CONFLICT DO NOTHING;
    INSERT INTO usage_daily_subjects (tenant_id, day, subject_id, quantity, input_tokens, output_tokens, cost_micro_usd, records)
    SELECT tenant_id, day, subject_id, sum(quantity), sum(input_tokens), sum(output_tokens), sum(cost_micro_usd), sum(records)
      FROM usage_daily WHERE tenant_id = '$TENANT' AND day >= '$MONTH_START' AND day < '$MONTH_END' AND subject_id LIKE 'bench-analytics-%'
     GROUP BY 1, 2, 3
    ON CONFLICT DO NOTHING;
    ANALYZE usage_hourly; ANALYZE usage_hourly_groups; ANALYZE usage_daily; ANALYZE usage_hourly_subjects; ANALYZE usage_daily_subjects;"
fi
echo "rows in $MONTH_START: hourly $(psql_bench -c "SELECT count(*) FROM usage_hourly WHERE tenant_id = '$TENANT' AND hour >= '$MONTH_START' AND hour < '$MONTH_END'")," \
     "daily $(psql_bench -c "SELECT count(*) FROM usage_daily WHERE tenant_id = '$TENANT' AND day >= '$MONTH_START' AND day < '$MONTH_END'")"

WEEK_END="$(date -u -d "$MONTH_START +7 days" +%Y-%m-%d)"
printf '%-58s %8s %8s %8s %9s\n' query "p50 ms" "p95 ms" "max ms" "bytes"
for query in \
  "groupBy=class&interval=day" "groupBy=department&interval=day" "groupBy=subject&interval=day" "groupBy=model&interval=day" \
  "groupBy=class&interval=hour" "groupBy=department&interval=hour" "groupBy=subject&interval=hour&to=${WEEK_END}T00:00:00Z"; do
  url="$API_URL/v1/tenant/usage?from=${MONTH_START}T00:00:00Z&to=${MONTH_END}T00:00:00Z&$query"
  [[ "$query" == *"&to="* ]] && url="$API_URL/v1/tenant/usage?from=${MONTH_START}T00:00:00Z&$query"
  token
  for _ in 1 2 3 4 5; do curl -fsS -o /dev/null -H "Authorization: Bearer $TOKEN" "$url"; done
  bytes="$(curl -fsS -H "Authorization: Bearer $TOKEN" "$url" | wc -c)"
  for _ in $(seq "$RUNS"); do curl -fsS -o /dev/null -w '%{time_total}\n' -H "Authorization: Bearer $TOKEN" "$url"; done |
    sort -n | awk -v q="${query//&/ }" -v b="$bytes" '{ t[NR] = $1 * 1000 } END {
      printf "%-58s %8.1f %8.1f %8.1f %9d\n", q, t[int((NR + 1) / 2)], t[int(NR * 0.95 + 0.5)], t[NR], b }'
done
