#!/usr/bin/env bash
# Runs every test against real services: a test PostgreSQL cluster of its own (127.0.0.1:55433,
# durability switched off for speed, never used by scripts/start.sh), RabbitMQ (virtual hosts of this
# run's own, one per test suite, deleted at the end; never the stack's tenantquota) and the bundled identity
# provider and LocalStripe (the tests host them themselves, in-process), and Debian's Chromium for the
# browser tests (screenshots in artifacts/screenshots/). Prints "N passed, N failed[, N skipped]".
source "$(dirname "$0")/lib/common.sh"

TEST_PG_PORT="${TQ_TEST_PG_PORT:-55433}"
TEST_DB="tenantquota_test"
# Per run, so that two runs on one machine (a CI check beside a developer's run) never share a queue,
# and per suite (tests/TenantQuota.Testing/TestRabbitMq.cs names them): every worker's queue is bound to
# the same exchange, so suites sharing a virtual host would consume each other's overage.
TEST_RABBITMQ_VHOST="tenantquota_test_$$"
TEST_RABBITMQ_SUITES="worker faults schedules features dashboard"
RESULTS="$TQ_ROOT/artifacts/test-results"

ensure_tools
ensure_chromium
TEST_PG_DATA="$TQ_STATE_DIR/pg-test"
# Leave the test cluster and RabbitMQ as we found them: stop each at the end only if this run started it.
pg_was_running=0
as_pg "$(pg_bin)/pg_ctl" -D "$TEST_PG_DATA" status >/dev/null 2>&1 && pg_was_running=1
cleanup() {
  if [ "$TQ_RABBITMQ_STARTED" -eq 0 ] && rabbitmq_running; then
    for suite in $TEST_RABBITMQ_SUITES; do delete_rabbitmq_vhost "${TEST_RABBITMQ_VHOST}_$suite"; done
  fi
  [ "$pg_was_running" -eq 1 ] || stop_postgres "$TEST_PG_DATA"
  [ "$TQ_RABBITMQ_STARTED" -eq 0 ] || stop_rabbitmq
}
trap cleanup EXIT
ensure_postgres "$TEST_PG_DATA" "$TEST_PG_PORT" "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
# Tests drop their own databases WITH (FORCE), which must be allowed to end every session in them,
# and an autovacuum worker visiting a fresh database belongs to no role: without pg_signal_backend the
# drop then fails ("must be a member of the role whose process is being terminated"; seen in CI).
# The test cluster only: the stack's role never gets it.
psql_admin "$TEST_PG_PORT" postgres -c "GRANT pg_signal_backend TO $TQ_DB_USER" >/dev/null
ensure_rabbitmq
# Fresh virtual hosts per run, like the database below: no messages left from an earlier run.
delete_stale_test_vhosts
for suite in $TEST_RABBITMQ_SUITES; do recreate_rabbitmq_vhost "${TEST_RABBITMQ_VHOST}_$suite"; done
export TQ_TEST_RABBITMQ="$(rabbitmq_url "$TEST_RABBITMQ_VHOST")" # the prefix: a suite appends _<suite>
# A fresh database per run: tests create their own tenants, but a clean start keeps runs comparable.
psql_admin "$TEST_PG_PORT" postgres -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '$TEST_DB'" >/dev/null
psql_admin "$TEST_PG_PORT" postgres -c "DROP DATABASE IF EXISTS $TEST_DB" >/dev/null
ensure_database "$TEST_PG_PORT" "$TEST_DB"
export TQ_TEST_CONNECTION="$(connection_string "$TEST_PG_PORT" "$TEST_DB")"

log "building"
mkdir -p "$TQ_ROOT/artifacts"
if ! dotnet build "$TQ_ROOT/TenantQuota.sln" -c Release --nologo -v quiet >"$TQ_ROOT/artifacts/build.log" 2>&1; then
  grep -E "error|Error" "$TQ_ROOT/artifacts/build.log" | sort -u | head -n 30 >&2
  echo "0 passed, 1 failed"  # the build is the one failure; CI reads this line
  exit 1
fi

rm -rf "$RESULTS"
log "testing"
set +e
dotnet test "$TQ_ROOT/TenantQuota.sln" -c Release --no-build --nologo \
  --logger "trx" --logger "console;verbosity=minimal" --results-directory "$RESULTS" ${TQ_TEST_FILTER:+--filter "$TQ_TEST_FILTER"}
status=$?
set -e

# The summary CI reads, summed over every project's TRX counters.
read -r passed failed skipped < <(
  cat "$RESULTS"/*.trx 2>/dev/null | grep -o '<Counters [^>]*>' | awk '
    { for (i = 1; i <= NF; i++) { split($i, kv, "="); gsub(/"/, "", kv[2]);
        if (kv[1] == "passed") p += kv[2]; if (kv[1] == "failed") f += kv[2]; if (kv[1] == "notExecuted") s += kv[2];
        if (kv[1] == "error") f += kv[2]; if (kv[1] == "timeout") f += kv[2]; if (kv[1] == "aborted") f += kv[2] } }
    END { print p + 0, f + 0, s + 0 }')
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi # a crash or build break counts as a failure
summary="$passed passed, $failed failed"
[ "$skipped" -gt 0 ] && summary="$summary, $skipped skipped"
echo "$summary"
[ "$failed" -eq 0 ]
