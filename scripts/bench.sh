#!/usr/bin/env bash
# Load benchmark of the running TenantQuota stack (start it first with scripts/start.sh).
# wrk loads at a fixed concurrency for a fixed time, each after its own warm-up:
#   ceiling-noauth  GET  /health/live              (no token, no database: the pipeline alone)
#   ceiling         GET  /v1/plans                 (authenticated, same JWT validation, no database)
#   check           POST /v1/entitlements/check    (one read per request)
#   consume         POST /v1/entitlements/consume  (one write transaction per request, new idempotency key each)
#   budgeted        consume by members of a budgeted department under a tenant budget (three levels charged)
#   reserve-commit  reserve then commit, pairs, on the same budgeted members
# then (BENCH_SDK=1, the default) check through the SDK vs raw HTTP in one process (bench/sdk), and reads the API's
# /metrics before and after the wrk scenarios to show its decision counters moving.
# Prints a summary table (each scenario also as a share of the JWT ceiling) and writes it to
# bench/results/latest.txt, and, for a full run (not BENCH_QUICK), docs/performance.md. Exits non-zero when any
# request answered non-2xx, any socket error occurred, or consume lost a record.
# Knobs (environment): see bench/README.md.
source "$(dirname "$0")/lib/common.sh"

BENCH_DIR="$TQ_ROOT/bench"
API_URL="${BENCH_API_URL:-http://127.0.0.1:$TQ_API_PORT}"
IDP_URL="${BENCH_IDP_URL:-http://127.0.0.1:$TQ_IDENTITY_PORT}"
CLIENT_ID="${BENCH_CLIENT_ID:-bench-backend}"
CLIENT_SECRET="${BENCH_CLIENT_SECRET:-bench-dev-secret}"
if [ "${BENCH_QUICK:-0}" = "1" ]; then
  BENCH_WARMUP="${BENCH_WARMUP:-5s}"
  BENCH_DURATION="${BENCH_DURATION:-10s}"
fi
BENCH_CONNECTIONS="${BENCH_CONNECTIONS:-16}" # issue 9 measures with 16
BENCH_THREADS="${BENCH_THREADS:-2}"
BENCH_WARMUP="${BENCH_WARMUP:-30s}"
BENCH_DURATION="${BENCH_DURATION:-30s}"
BENCH_TIMEOUT="${BENCH_TIMEOUT:-5s}"
BENCH_SCENARIOS="${BENCH_SCENARIOS:-ceiling-noauth ceiling check check-1m check-warn consume consume-1m hot budgeted reserve-commit}"
BENCH_WRITE_DOC="${BENCH_WRITE_DOC:-$([ "${BENCH_QUICK:-0}" = 1 ] && echo 0 || echo 1)}"
BENCH_CHECK_SUBJECTS="${BENCH_CHECK_SUBJECTS:-1000}"
BENCH_CONSUME_SUBJECTS="${BENCH_CONSUME_SUBJECTS:-1000}"
BENCH_MANY_SUBJECTS="${BENCH_MANY_SUBJECTS:-1000000}"
BENCH_BUDGET_SUBJECTS="${BENCH_BUDGET_SUBJECTS:-2000}"
BUDGET_CLIENT_ID="bench-budgets-backend"; BUDGET_CLIENT_SECRET="bench-budgets-dev-secret"
BUDGET_ADMIN_ID="bench-budgets-admin"; BUDGET_ADMIN_SECRET="bench-budgets-admin-secret"
BENCH_VERIFY_DB="${BENCH_VERIFY_DB:-1}"
BENCH_ALLOCATIONS="${BENCH_ALLOCATIONS:-1}"
BENCH_SLOW_PG_MS="${BENCH_SLOW_PG_MS:-2}"
BENCH_SLOW_PG_SCENARIOS="${BENCH_SLOW_PG_SCENARIOS-check consume}"
BENCH_RESULTS="${BENCH_RESULTS:-$BENCH_DIR/results}"
BENCH_RUN_ID="${BENCH_RUN_ID:-$(date -u +%Y%m%dT%H%M%SZ)-$$}"
export BENCH_THREADS BENCH_RUN_ID BENCH_CHECK_SUBJECTS BENCH_CONSUME_SUBJECTS BENCH_MANY_SUBJECTS BENCH_BUDGET_SUBJECTS

seconds_of() { # wrk durations: 30, 30s, 2m, 1h
  case "$1" in
    *h) echo $(( ${1%h} * 3600 )) ;; *m) echo $(( ${1%m} * 60 )) ;; *s) echo "${1%s}" ;; *) echo "$1" ;;
  esac
}
for knob in BENCH_CONNECTIONS BENCH_THREADS BENCH_CHECK_SUBJECTS BENCH_CONSUME_SUBJECTS BENCH_MANY_SUBJECTS BENCH_BUDGET_SUBJECTS; do
  [[ "${!knob}" =~ ^[1-9][0-9]*$ ]] || die "$knob must be a positive integer (got '${!knob}')"
done
for knob in BENCH_WARMUP BENCH_DURATION BENCH_TIMEOUT; do
  [[ "${!knob}" =~ ^[0-9]+[smh]?$ ]] || die "$knob must be a wrk duration like 30s, 2m (got '${!knob}')"
done
[ "$BENCH_CONNECTIONS" -ge "$BENCH_THREADS" ] || die "BENCH_CONNECTIONS must be at least BENCH_THREADS"
[[ "$BENCH_SLOW_PG_MS" =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "BENCH_SLOW_PG_MS must be a number of milliseconds (got '$BENCH_SLOW_PG_MS')"
ALL_SCENARIOS="$BENCH_SCENARIOS$([ "$BENCH_SLOW_PG_MS" = 0 ] || echo " $BENCH_SLOW_PG_SCENARIOS")"
for s in $ALL_SCENARIOS; do
  [ -f "$BENCH_DIR/wrk/$s.lua" ] || die "unknown scenario '$s' (have: $(cd "$BENCH_DIR/wrk" && ls *.lua | grep -v common | sed 's/\.lua$//' | tr '\n' ' '))"
done

# --- tools and stack -------------------------------------------------------------------------
command -v curl >/dev/null || apt_install curl ca-certificates
command -v wrk >/dev/null || apt_install wrk
command -v wrk >/dev/null || die "wrk is not installed and could not be installed"
# dotnet-counters reads the API's allocation counter during each measured run (bytes allocated per request).
COUNTERS_VERSION=10.0.750501
COUNTERS="$TQ_STATE_DIR/tools/dotnet-counters"
if [ "$BENCH_ALLOCATIONS" = 1 ] && ! "$COUNTERS" --version 2>/dev/null | grep -q "^$COUNTERS_VERSION"; then
  dotnet tool install dotnet-counters --version "$COUNTERS_VERSION" --tool-path "$TQ_STATE_DIR/tools" >/dev/null 2>&1 \
    || dotnet tool update dotnet-counters --version "$COUNTERS_VERSION" --tool-path "$TQ_STATE_DIR/tools" >/dev/null 2>&1 \
    || { log "dotnet-counters $COUNTERS_VERSION could not be installed: allocations are not measured"; BENCH_ALLOCATIONS=0; }
fi

curl -fsS -o /dev/null --max-time 5 "$API_URL/health/ready" \
  || die "the API is not ready at $API_URL/health/ready; start the stack with scripts/start.sh first"

fetch_token() { # [client id] [secret]: bench-backend's unless given
  local answer token id="${1:-$CLIENT_ID}" secret="${2:-$CLIENT_SECRET}"
  answer="$(curl -fsS --max-time 10 -u "$id:$secret" -d grant_type=client_credentials "$IDP_URL/token")" \
    || die "could not get a token for $id from $IDP_URL/token"
  token="$(sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p' <<<"$answer")"
  [ -n "$token" ] || die "the token endpoint answered without an access_token: $answer"
  echo "$token"
}
jwt_exp() { # the exp claim of a JWT, without verifying it
  local payload
  payload="$(cut -d. -f2 <<<"$1" | tr '_-' '/+')"
  while (( ${#payload} % 4 )); do payload+="="; done
  base64 -d <<<"$payload" 2>/dev/null | sed -n 's/.*"exp":\([0-9]*\).*/\1/p'
}
# Access tokens are short-lived (5 minutes by default), so every wrk run gets a fresh one (run_wrk);
# one run must fit in a token's lifetime.
BENCH_TOKEN="$(fetch_token)"
export BENCH_TOKEN
token_exp="$(jwt_exp "$BENCH_TOKEN")"
longest=$(( $(seconds_of "$BENCH_WARMUP") > $(seconds_of "$BENCH_DURATION") ? $(seconds_of "$BENCH_WARMUP") : $(seconds_of "$BENCH_DURATION") ))
if [ -n "$token_exp" ] && [ $(( $(date +%s) + longest + 30 )) -gt "$token_exp" ]; then
  die "a token lives $(( token_exp - $(date +%s) )) s but one wrk run takes ~$longest s; shorten BENCH_WARMUP/BENCH_DURATION"
fi

# One request of each kind first, so a misconfigured stack fails here with a readable answer.
preflight() {
  local name="$1" status body; shift
  body="$(mktemp)"
  status="$(curl -sS -o "$body" -w '%{http_code}' --max-time 10 -H "Authorization: Bearer $BENCH_TOKEN" "$@")" || status="000"
  if [ "${status:0:1}" != "2" ]; then
    log "preflight $name answered HTTP $status: $(head -c 400 "$body")"
    rm -f "$body"
    die "preflight failed (is tenant 'bench' provisioned? scripts/start.sh seeds it)"
  fi
  rm -f "$body"
}
curl -fsS -o /dev/null --max-time 10 "$API_URL/health/live" || die "preflight ceiling-noauth: GET /health/live failed"
preflight ceiling "$API_URL/v1/plans"
preflight check -H 'Content-Type: application/json' \
  -d '{"subjectId":"bench-user-0","operationClass":"background_indexing","quantity":1}' "$API_URL/v1/entitlements/check"
# The consume preflight records one usage row under its own key (subject bench-preflight).
preflight consume -H 'Content-Type: application/json' \
  -d "{\"subjectId\":\"bench-preflight\",\"operationClass\":\"background_indexing\",\"quantity\":1,\"idempotencyKey\":\"bench-$BENCH_RUN_ID-preflight\"}" \
  "$API_URL/v1/entitlements/consume"

# Seeded subjects: each gets a usage record and the counter it moves in the current window, written in SQL as a
# consume would write them (the preflight's record is the template, so window, tier and limits are the API's own).
# Keys "<key prefix>-<month>-<n>": a month is seeded once; a bigger count adds only the missing subjects.
#   bench-user-0 .. (N-1), 1 each: the check subjects (N: the million of the -1m scenarios when one runs, else
#     BENCH_CHECK_SUBJECTS);
#   bench-warn-0 .. 999, halfway between the soft and the hard limit: check-warn's, whose every answer carries copy.
psql_bench() { psql -qtAX -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$TQ_PG_PORT" -U postgres -d "$TQ_DB_NAME" "$@"; }
seed_subjects() { # SUBJECT_PREFIX KEY_PREFIX COUNT QUANTITY_SQL (an expression of the template row t)
  local subject="$1" key="$2" count="$3" quantity="$4" template last_key
  command -v psql >/dev/null || die "seeding the benchmark subjects needs psql (as postgres on 127.0.0.1:$TQ_PG_PORT)"
  template="tenant_id = 'bench' AND idempotency_key = 'bench-$BENCH_RUN_ID-preflight'"
  last_key="$(psql_bench -c "SELECT '$key-' || to_char(window_start AT TIME ZONE 'UTC', 'YYYY-MM') || '-$(( count - 1 ))' FROM usage_records WHERE $template")" \
    || die "could not read the preflight's usage record (psql as postgres on 127.0.0.1:$TQ_PG_PORT)"
  [ -n "$last_key" ] || die "the preflight consume left no usage record to seed from"
  [ -z "$(psql_bench -c "SELECT 1 FROM usage_records WHERE tenant_id = 'bench' AND idempotency_key = '$last_key'")" ] || return 0
  log "seeding counters for $count subjects $subject* in the current window (once a month; a million takes about a minute)"
  psql_bench -c "
    WITH template AS (SELECT * FROM usage_records WHERE $template),
    seeded AS (
      INSERT INTO usage_records (tenant_id, idempotency_key, subject_id, operation_class, quantity, recorded, used_before, tier,
                                 matrix_version, soft_limit, hard_limit, over_quota, fallback_class, window_start, window_end, created_at, charges)
      SELECT t.tenant_id, '$key-' || to_char(t.window_start AT TIME ZONE 'UTC', 'YYYY-MM') || '-' || n, '$subject' || n,
             t.operation_class, $quantity, true, 0, t.tier, t.matrix_version, t.soft_limit, t.hard_limit, t.over_quota, t.fallback_class,
             t.window_start, t.window_end, now(),
             jsonb_set(jsonb_set(jsonb_set(t.charges, '{0,owner}', to_jsonb('$subject' || n)), '{0,before}', '0'), '{0,used}', to_jsonb($quantity))
        FROM template t, generate_series(0, $(( count - 1 ))) AS n
          ON CONFLICT (tenant_id, idempotency_key) DO NOTHING
      RETURNING tenant_id, subject_id, operation_class, window_start, window_end, quantity)
    INSERT INTO quota_counters (tenant_id, level, owner_id, metric, window_start, window_end, used)
    SELECT tenant_id, 'subject', subject_id, operation_class, window_start, window_end, quantity FROM seeded
        ON CONFLICT (tenant_id, level, owner_id, metric, window_start) DO UPDATE SET used = quota_counters.used + EXCLUDED.used" >/dev/null \
    || die "seeding the benchmark subjects $subject* failed"
}
if [[ " $ALL_SCENARIOS " =~ \ (check|check-1m|consume-1m)\  ]]; then
  check_subjects="$BENCH_CHECK_SUBJECTS"
  [[ " $ALL_SCENARIOS " =~ -1m\  ]] && check_subjects=$(( BENCH_MANY_SUBJECTS > check_subjects ? BENCH_MANY_SUBJECTS : check_subjects ))
  seed_subjects bench-user- bench-seed "$check_subjects" 1
fi
[[ " $ALL_SCENARIOS " == *" check-warn "* ]] && seed_subjects bench-warn- bench-seed-warn 1000 "(t.soft_limit + t.hard_limit) / 2"

# The budgeted scenarios run on tenant bench-budgets: a tenant-wide request budget, department bench-dept
# (high priority) with a request budget, both far above what a run uses, and BENCH_BUDGET_SUBJECTS members
# placed in it through the API as a tenant admin would (only the missing ones: a rerun places none).
if [[ " $ALL_SCENARIOS " == *" budgeted "* || " $ALL_SCENARIOS " == *" reserve-commit "* ]]; then
  budget_admin="$(fetch_token "$BUDGET_ADMIN_ID" "$BUDGET_ADMIN_SECRET")"
  budget_put() { # PATH JSON
    local status
    status="$(curl -sS -o /dev/null -w '%{http_code}' --max-time 10 -X PUT -H "Authorization: Bearer $budget_admin" \
      -H 'Content-Type: application/json' -d "$2" "$API_URL$1")" || status=000
    [ "${status:0:1}" = 2 ] || die "setting up the budgeted tenant: PUT $1 answered HTTP $status (is tenant bench-budgets provisioned? scripts/start.sh seeds it)"
  }
  budget='{"limit":1000000000000,"unit":"request","period":"monthly","overQuota":"block"}'
  budget_put /v1/tenant/budget "$budget"
  budget_put /v1/tenant/departments/bench-dept "{\"name\":\"Benchmark department\",\"priority\":\"high\",\"budget\":$budget}"
  members="$(curl -fsS --max-time 10 -H "Authorization: Bearer $budget_admin" "$API_URL/v1/tenant/departments/bench-dept" \
    | sed -n 's/.*"members":\([0-9]*\).*/\1/p')"
  if [ "${members:-0}" -lt "$BENCH_BUDGET_SUBJECTS" ]; then
    log "placing $BENCH_BUDGET_SUBJECTS subjects in department bench-dept (tenant bench-budgets)"
    export API_URL budget_admin
    seq 0 $(( BENCH_BUDGET_SUBJECTS - 1 )) | xargs -P 8 -I{} sh -c \
      'curl -fsS -o /dev/null --max-time 10 -X PUT -H "Authorization: Bearer $budget_admin" -H "Content-Type: application/json" \
         -d "{\"departmentId\":\"bench-dept\"}" "$API_URL/v1/tenant/subjects/bench-member-{}"' \
      || die "placing the benchmark subjects in bench-dept failed"
  fi
fi

# --- CPU accounting (who used the 2 cores during a measured run) -----------------------------
CLK_TCK="$(getconf CLK_TCK)"
api_pid="$(running_pid api 2>/dev/null || true)"
pg_postmaster="$(head -n 1 "$TQ_STATE_DIR/pg/postmaster.pid" 2>/dev/null || true)"
ticks_of() { # utime+stime of the given pids (missing ones count 0)
  local total=0 pid stat
  for pid in "$@"; do
    stat="$(cat "/proc/$pid/stat" 2>/dev/null)" || continue
    stat="${stat##*) }"
    set -- $stat
    total=$(( total + ${12} + ${13} ))
  done
  echo "$total"
}
pg_ticks() { # PostgreSQL: live children plus the postmaster with its reaped children (backends come and go)
  local stat
  [ -n "$pg_postmaster" ] && stat="$(cat "/proc/$pg_postmaster/stat" 2>/dev/null)" || { echo 0; return; }
  stat="${stat##*) }"
  set -- $stat
  echo $(( ${12} + ${13} + ${14} + ${15} + $(ticks_of $(ps -o pid= --ppid "$pg_postmaster" 2>/dev/null)) ))
}
pg_pids() { [ -n "$pg_postmaster" ] && { echo "$pg_postmaster"; ps -o pid= --ppid "$pg_postmaster" 2>/dev/null; } || true; }
total_ticks() { awk '/^cpu /{ print $2+$3+$4+$5+$6+$7+$8+$9; exit }' /proc/stat; }
busy_ticks() { awk '/^cpu /{ print $2+$3+$4+$7+$8; exit }' /proc/stat; }   # user, nice, system, irq, softirq
CHILD_TIMES="$(mktemp)"; PROCS_BEFORE="$(mktemp)"; PROCS_AFTER="$(mktemp)"
trap 'rm -f "$CHILD_TIMES" "$PROCS_BEFORE" "$PROCS_AFTER"' EXIT
proc_snapshot() { # "pid ticks comm" of every process now
  local f line comm rest
  for f in /proc/[0-9]*/stat; do
    read -r line <"$f" 2>/dev/null || continue
    comm="${line#*(}"; comm="${comm%) *}"; rest="${line##*) }"
    set -- $rest
    f="${f#/proc/}"
    echo "${f%/stat} $(( ${12} + ${13} )) ${comm// /_}"
  done
}
top_others() { # the biggest CPU users between two snapshots, leaving out the API, PostgreSQL and wrk
  local skip=" $api_pid $(pg_pids | tr '\n' ' ') "
  awk -v skip="$skip" -v tck="$CLK_TCK" 'NR == FNR { before[$1] = $2; next }
    index(skip, " " $1 " ") == 0 && $3 != "wrk" { d = $2 - before[$1]; if (d > 0) printf "%d %s(%s)\n", d, $3, $1 }' \
    "$PROCS_BEFORE" "$PROCS_AFTER" | sort -rn | head -n 3 | awk -v tck="$CLK_TCK" '{ printf "%s%s %.1fs", (NR > 1 ? ", " : ""), $2, $1 / tck }'
}
child_ms() { # sets CHILD_MS: CPU time (user+sys) of this shell's finished children (wrk is one), in ms
  times >"$CHILD_TIMES"   # not in a $(subshell): that would only see the subshell's children
  CHILD_MS="$(awk 'NR == 2 { t = 0; for (i = 1; i <= 2; i++) { split($i, a, "m"); t += a[1] * 60000 + a[2] * 1000 } printf "%d", t }' "$CHILD_TIMES")"
}
pct() { awk -v a="$1" -v b="$2" 'BEGIN { p = (b > 0 ? 100 * a / b : 0); printf "%.0f", (p < 0 ? 0 : p) }'; }

# What is being measured: the running API's build may be older than the working tree.
api_dll="$TQ_STATE_DIR/api/TenantQuota.Api.dll"
if [ -n "$api_pid" ] && [ -f "$api_dll" ]; then
  newer="$(find "$TQ_ROOT/src" \( -name bin -o -name obj -o -name node_modules \) -prune -o -type f -newer "$api_dll" -print 2>/dev/null | wc -l)"
  api_build="pid $api_pid, running since $(ps -o lstart= -p "$api_pid"), built $(date -u -r "$api_dll" +%Y-%m-%dT%H:%M:%SZ)"
  [ "$newer" = 0 ] || api_build+=" ($newer files under src/ are newer than this build: scripts/stop.sh && scripts/start.sh to measure them)"
else
  api_build="not started by scripts/start.sh (no pid file under $TQ_RUN_DIR); build unknown"
fi

# --- allocations (the API's GC allocation counter during a measured run) ------------------------
# dotnet-counters samples System.Runtime's dotnet.gc.heap.total_allocated once a second as a rate; the samples
# of the measured run add up to the bytes the API allocated in it (the attached session allocates a little too).
counters_start() { # scenario: starts sampling in the background for the measured run
  COUNTERS_PID=""
  [ "$BENCH_ALLOCATIONS" = 1 ] && [ -n "$api_pid" ] || return 0
  rm -f "$RAW/$1-counters.csv"
  "$COUNTERS" collect -p "$api_pid" --counters 'System.Runtime[dotnet.gc.heap.total_allocated,dotnet.gc.collections]' \
    --format csv -o "$RAW/$1-counters.csv" --duration "00:00:00:$(seconds_of "$BENCH_DURATION")" >/dev/null 2>&1 &
  COUNTERS_PID=$!
}
counters_bytes_per_request() { # scenario requests: "<bytes allocated per request> <gen0/gen1/gen2 collections>" in the measured run
  [ -n "$COUNTERS_PID" ] || { echo "- -"; return; }
  awk -F, -v n="$2" '$3 ~ /^dotnet.gc.heap.total_allocated/ { bytes += $5 }
    $3 ~ /gen0/ { g0 += $5 } $3 ~ /gen1/ { g1 += $5 } $3 ~ /gen2/ { g2 += $5 }
    END { if (n > 0 && bytes > 0) printf "%.0f %d/%d/%d", bytes / n, g0, g1, g2; else printf "? ?" }' "$RAW/$1-counters.csv" 2>/dev/null || echo "? ?"
}

# --- runs --------------------------------------------------------------------------------------
mkdir -p "$BENCH_RESULTS/$BENCH_RUN_ID"
RAW="$BENCH_RESULTS/$BENCH_RUN_ID"
api_log="$TQ_RUN_DIR/api.log"
api_log_start="$(wc -l <"$api_log" 2>/dev/null || echo 0)"
load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
failed=0
declare -A LINE CPU RSS ALLOC
NOISE=()

# The machine should be quiet apart from the stack: measure 3 s of idle load first.
t0="$(total_ticks)"; b0="$(busy_ticks)"; sleep 3; t1="$(total_ticks)"; b1="$(busy_ticks)"
idle_busy="$(pct $(( b1 - b0 )) $(( t1 - t0 )))"
if [ "$idle_busy" -gt 10 ]; then
  NOISE+=("before the run: the machine was already ${idle_busy}% busy without load")
  log "WARNING: the machine is ${idle_busy}% busy before the benchmark; results will be low and noisy"
  ps -eo pcpu=,pid=,comm= --sort=-pcpu | head -n 5 | sed 's/^/[tenantquota]   /' >&2
fi

field() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<" $1"; }

run_wrk() { # scenario label phase duration: wrk runs bench/wrk/<scenario>.lua against $API_URL; results are the label's
  local scenario="$1" label="$2" phase="$3" duration="$4" out="$RAW/$2-$3.txt" line
  case "$scenario" in
    budgeted|reserve-commit) BENCH_TOKEN="$(fetch_token "$BUDGET_CLIENT_ID" "$BUDGET_CLIENT_SECRET")" || exit 1 ;;
    *) BENCH_TOKEN="$(fetch_token)" || exit 1 ;;
  esac
  log "$label: $phase for $duration ($BENCH_CONNECTIONS connections, $BENCH_THREADS threads)"
  BENCH_SCENARIO="$label" BENCH_PHASE="$phase" BENCH_RUN_ID="$KEY_RUN_ID" \
    wrk --latency -t "$BENCH_THREADS" -c "$BENCH_CONNECTIONS" -d "$duration" --timeout "$BENCH_TIMEOUT" \
        -s "$BENCH_DIR/wrk/$scenario.lua" "$API_URL" >"$out" 2>&1 \
    || { cat "$out" >&2; die "wrk failed for $label ($phase)"; }
  line="$(grep '^BENCH ' "$out" | tail -n 1)"
  [ -n "$line" ] || { cat "$out" >&2; die "wrk printed no BENCH line for $label ($phase)"; }
  if [ "$(field "$line" non2xx)" != "0" ] || [ "$(field "$line" socket_errors)" != "0" ]; then
    failed=1
    log "FAILURE in $label ($phase): $(field "$line" non2xx) non-2xx answers, $(field "$line" socket_errors) socket errors"
    grep '^BENCH_SAMPLE ' "$out" >&2 || true
  fi
  LAST_LINE="$line"
  [[ "$scenario" =~ ^(consume|consume-1m|hot)$ ]] && consume_ok=$(( consume_ok + $(field "$line" requests) - $(field "$line" non2xx) ))
  return 0
}

# measure SCENARIO [LABEL]: warm-up, then the measured run with the CPU split, the API's memory and its allocations.
measure() {
  local scenario="$1" label="${2:-$1}"
  LABELS+=("$label")
  run_wrk "$scenario" "$label" warmup "$BENCH_WARMUP"
  counters_start "$label"
  t0="$(total_ticks)"; b0="$(busy_ticks)"; a0="$(ticks_of $api_pid)"; p0="$(pg_ticks)"; child_ms; w0="$CHILD_MS"; proc_snapshot >"$PROCS_BEFORE"
  run_wrk "$scenario" "$label" measure "$BENCH_DURATION"
  t1="$(total_ticks)"; b1="$(busy_ticks)"; a1="$(ticks_of $api_pid)"; p1="$(pg_ticks)"; child_ms; w1="$CHILD_MS"; proc_snapshot >"$PROCS_AFTER"
  # Shares of the whole machine (all cores = 100%; tick sampling, so roughly): the API process,
  # PostgreSQL, wrk, everything else (other processes, interrupts outside them), idle. A process's
  # system time includes the loopback TCP work done in its context.
  all=$(( t1 - t0 )); api=$(( a1 - a0 )); pg=$(( p1 - p0 )); wrk_t=$(( (w1 - w0) * CLK_TCK / 1000 ))
  rest=$(( (b1 - b0) - api - pg - wrk_t )); [ "$rest" -ge 0 ] || rest=0
  CPU[$label]="$(pct "$api" "$all")/$(pct "$pg" "$all")/$(pct "$wrk_t" "$all")/$(pct "$rest" "$all")/$(pct $(( all - (b1 - b0) )) "$all")"
  if [ "$(pct "$rest" "$all")" -gt 10 ] && [ -z "$SLOW_PROXY_PID" ]; then
    NOISE+=("$label: $(pct "$rest" "$all")% of the machine went to other processes during the measurement (top: $(top_others))")
  fi
  LINE[$label]="$LAST_LINE"
  # The API's resident memory right after the measured run (issue 9: at most 300 MB).
  RSS[$label]="$(awk '/^VmRSS:/ { printf "%d", $2 / 1024 }' "/proc/$api_pid/status" 2>/dev/null || echo '?')"
  [ -z "$COUNTERS_PID" ] || wait "$COUNTERS_PID" || true
  ALLOC[$label]="$(counters_bytes_per_request "$label" "$(field "$LAST_LINE" requests)")"
  log "$label: $LAST_LINE"
}

consume_ok=0
LABELS=()
KEY_RUN_ID="$BENCH_RUN_ID"
SLOW_PROXY_PID=""
# The API's own decision counters (/metrics, served to loopback; BENCH_METRICS_KEY when the API asks for a key),
# read before and after the wrk scenarios: they must have moved by at least what wrk saw answered.
decisions_by_endpoint() { # "check=N consume=M …": tenantquota_decisions_total summed over classes and decisions; empty without /metrics
  { curl -fsS ${BENCH_METRICS_KEY:+-H "Authorization: Bearer $BENCH_METRICS_KEY"} "$API_URL/metrics" 2>/dev/null || true; } \
    | awk '/^tenantquota_decisions_total\{/ { match($0, /endpoint="[^"]*"/); e = substr($0, RSTART + 10, RLENGTH - 11); n[e] += $NF }
           END { for (e in n) printf "%s=%.0f ", e, n[e] }'
}
decisions_before="$(decisions_by_endpoint)"
for scenario in $BENCH_SCENARIOS; do measure "$scenario"; done
decisions_after="$(decisions_by_endpoint)"
[ -n "$decisions_after" ] || log "WARNING: $API_URL/metrics could not be read (set BENCH_METRICS_KEY when the API has Telemetry__MetricsKey): decision counters not checked"
decisions_moved="$(awk -v a="$decisions_before" -v b="$decisions_after" 'BEGIN {
  n = split(a, x, " "); for (i = 1; i <= n; i++) { split(x[i], kv, "="); before[kv[1]] = kv[2] }
  n = split(b, y, " "); for (i = 1; i <= n; i++) { split(y[i], kv, "="); printf "%s +%d  ", kv[1], kv[2] - before[kv[1]] } }')"
consume_counted="$(sed -n 's/.*consume +\([0-9]*\).*/\1/p' <<<"$decisions_moved")"
if [ -n "$decisions_after" ] && [ "${consume_counted:-0}" -lt "$consume_ok" ]; then
  failed=1
  decisions_moved="$decisions_moved FAILED: /metrics counted ${consume_counted:-0} consumes, fewer than the $consume_ok wrk saw answered"
fi

# --- the SDK's own cost: check through TenantQuota.Client vs a hand-written HttpClient call (bench/sdk) -------------
SDK_LINES=()
if [ "${BENCH_SDK:-1}" = 1 ]; then
  dotnet build "$BENCH_DIR/sdk" -c Release --nologo -v quiet >"$RAW/sdk-build.log" 2>&1 || { tail -n 20 "$RAW/sdk-build.log" >&2; die "bench/sdk did not build"; }
  log "sdk: check through TenantQuota.Client vs raw HTTP, alternated, $BENCH_CONNECTIONS at once, $BENCH_DURATION"
  if dotnet "$BENCH_DIR/sdk/bin/Release/net10.0/TenantQuota.Bench.Sdk.dll" --api="$API_URL/" --issuer="$IDP_URL/" --client-id="$CLIENT_ID" \
       --client-secret="$CLIENT_SECRET" --seconds="$(seconds_of "$BENCH_DURATION")" --warmup="$(seconds_of "$BENCH_WARMUP")" \
       --concurrency="$BENCH_CONNECTIONS" >"$RAW/sdk.txt" 2>&1; then
    mapfile -t SDK_LINES < <(grep '^sdk-bench ' "$RAW/sdk.txt")
  else
    failed=1; tail -n 20 "$RAW/sdk.txt" >&2
  fi
fi

# --- a slow database ---------------------------------------------------------------------------
# A second API process, with the running one's own environment, reaches PostgreSQL through
# bench/slow-pg/delay_proxy.py, which holds everything sent to the database for BENCH_SLOW_PG_MS:
# each round trip (a statement, or a batch sent together) costs that much more. The proxy's CPU
# counts under "other". Consume keys carry "-slow" in their run id.
SLOW_API_PID=""; SLOW_RAN=""
stop_slow_stack() {
  [ -z "$SLOW_API_PID" ] || { kill "$SLOW_API_PID" 2>/dev/null; wait "$SLOW_API_PID" 2>/dev/null; SLOW_API_PID=""; }
  [ -z "$SLOW_PROXY_PID" ] || { kill "$SLOW_PROXY_PID" 2>/dev/null; wait "$SLOW_PROXY_PID" 2>/dev/null; SLOW_PROXY_PID=""; }
}
if [ "$BENCH_SLOW_PG_MS" != 0 ] && [ -n "$BENCH_SLOW_PG_SCENARIOS" ]; then
  [ -n "$api_pid" ] || die "the slow-database scenarios copy the running API's environment, but its pid is unknown (start the stack with scripts/start.sh)"
  trap 'stop_slow_stack; rm -f "$CHILD_TIMES" "$PROCS_BEFORE" "$PROCS_AFTER"' EXIT
  slow_pg_port=$(( TQ_PG_PORT + 100 )); slow_api_url="http://127.0.0.1:$(( TQ_API_PORT + 100 ))"
  python3 "$BENCH_DIR/slow-pg/delay_proxy.py" --listen-port "$slow_pg_port" --target-port "$TQ_PG_PORT" --delay-ms "$BENCH_SLOW_PG_MS" \
    >"$RAW/slow-pg-proxy.log" 2>&1 &
  SLOW_PROXY_PID=$!
  mapfile -d '' api_environment <"/proc/$api_pid/environ"
  slow_connection="$(tr '\0' '\n' <"/proc/$api_pid/environ" | sed -n 's/^ConnectionStrings__TenantQuota=//p' | sed "s/Port=$TQ_PG_PORT/Port=$slow_pg_port/")"
  [[ "$slow_connection" == *"Port=$slow_pg_port"* ]] || die "could not point the running API's connection string at the delaying proxy"
  (cd "$TQ_STATE_DIR/api" && exec env -i "${api_environment[@]}" "ConnectionStrings__TenantQuota=$slow_connection" \
     dotnet TenantQuota.Api.dll --urls "$slow_api_url") >"$RAW/slow-pg-api.log" 2>&1 &
  SLOW_API_PID=$!
  wait_for_url "$slow_api_url/health/ready" 120 "$SLOW_API_PID" \
    || { tail -n 20 "$RAW/slow-pg-api.log" >&2; die "the API behind the delaying proxy did not become ready"; }
  fast_url="$API_URL"; fast_pid="$api_pid"
  API_URL="$slow_api_url"; api_pid="$SLOW_API_PID"; KEY_RUN_ID="$BENCH_RUN_ID-slow"
  for scenario in $BENCH_SLOW_PG_SCENARIOS; do measure "$scenario" "$scenario+${BENCH_SLOW_PG_MS}ms"; done
  SLOW_RAN=1
  API_URL="$fast_url"; api_pid="$fast_pid"; KEY_RUN_ID="$BENCH_RUN_ID"
  stop_slow_stack
fi

# --- consume really recorded? -----------------------------------------------------------------
verify=""
if [[ " $ALL_SCENARIOS " =~ \ (consume|consume-1m|hot)\  ]] && [ "$BENCH_VERIFY_DB" = "1" ]; then
  if command -v psql >/dev/null && stored="$(psql -qtAX -h 127.0.0.1 -p "$TQ_PG_PORT" -U postgres -d "$TQ_DB_NAME" \
      -c "SELECT count(*) FROM usage_records WHERE tenant_id = 'bench' AND recorded
            AND idempotency_key LIKE ANY (ARRAY['bench-$BENCH_RUN_ID-warmup-%', 'bench-$BENCH_RUN_ID-measure-%',
                                          'bench-hot-$BENCH_RUN_ID-warmup-%', 'bench-hot-$BENCH_RUN_ID-measure-%',
                                          'bench-many-$BENCH_RUN_ID-warmup-%', 'bench-many-$BENCH_RUN_ID-measure-%',
                                          'bench-$BENCH_RUN_ID-slow-%', 'bench-hot-$BENCH_RUN_ID-slow-%', 'bench-many-$BENCH_RUN_ID-slow-%'])" 2>/dev/null)"; then
    # wrk stops with requests in flight: those may be recorded without wrk counting the answer,
    # so the database may hold up to 2 x connections more rows than wrk saw 2xx answers; never fewer.
    if [ "$stored" -lt "$consume_ok" ]; then
      failed=1
      verify="consume scenarios: FAILED, wrk saw $consume_ok 2xx answers but only $stored usage records were stored"
    else
      verify="consume scenarios: $consume_ok 2xx answers seen by wrk, $stored usage records stored for run $BENCH_RUN_ID (in-flight at stop: $(( stored - consume_ok )))"
    fi
  else
    verify="consume: database not checked (psql could not reach 127.0.0.1:$TQ_PG_PORT as postgres; BENCH_VERIFY_DB=0 skips this)"
  fi
fi

# --- summary -------------------------------------------------------------------------------------
of_ceiling() { # a scenario's requests/s as a share of the JWT ceiling's, when the ceiling was measured
  local ceiling="${LINE[ceiling]:-}"
  [ -n "$ceiling" ] || { echo "-"; return; }
  awk -v r="$1" -v c="$(field "$ceiling" rps)" 'BEGIN { printf "%.0f%%", (c > 0 ? 100 * r / c : 0) }'
}
# Production logs are JSON lines ("LogLevel":"Error"); a host run with Telemetry__LogFormat=text writes "fail: ".
api_log_errors="$(tail -n +"$(( api_log_start + 1 ))" "$api_log" 2>/dev/null | grep -cE '^(fail|crit): |"LogLevel":"(Error|Critical)"' || true)"
api_log_warnings="$(tail -n +"$(( api_log_start + 1 ))" "$api_log" 2>/dev/null | grep -cE '^warn: |"LogLevel":"Warning"' || true)"
summary="$RAW/summary.txt"
{
  echo "TenantQuota benchmark $BENCH_RUN_ID"
  echo "date:        $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "commit:      $(git -C "$TQ_ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$TQ_ROOT" diff --quiet HEAD -- src 2>/dev/null || echo ' (src has uncommitted changes)')"
  echo "machine:     $(nproc) cores ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)), $(free -m | awk '/^Mem:/{print $2}') MB RAM, load before $load_before, ${idle_busy}% busy before load"
  echo "wrk:         $(wrk -v 2>&1 | head -n 1 | cut -d' ' -f1-2), $BENCH_THREADS threads, $BENCH_CONNECTIONS connections, warm-up $BENCH_WARMUP, measured $BENCH_DURATION each, timeout $BENCH_TIMEOUT"
  echo "target:      $API_URL (wrk, API and PostgreSQL share the machine's cores)"
  echo "api:         $api_build"
  echo
  printf '%-14s %12s %10s %9s %9s %10s %9s %9s %7s %9s %10s  %s\n' scenario requests/s "of ceiling" "p50 ms" "p99 ms" "p99.9 ms" non-2xx sock-err "rss MB" "B/request" "gc 0/1/2" "cpu% api/pg/wrk/other/idle"
  for s in "${LABELS[@]}"; do
    l="${LINE[$s]}"
    printf '%-14s %12s %10s %9s %9s %10s %9s %9s %7s %9s %10s  %s\n' "$s" "$(field "$l" rps)" "$(of_ceiling "$(field "$l" rps)")" "$(field "$l" p50_ms)" \
      "$(field "$l" p99_ms)" "$(field "$l" p999_ms)" "$(field "$l" non2xx)" "$(field "$l" socket_errors)" "${RSS[$s]}" ${ALLOC[$s]} "${CPU[$s]}"
  done
  [ -z "${LINE[reserve-commit]:-}" ] || echo "reserve-commit: $(awk -v r="$(field "${LINE[reserve-commit]}" rps)" 'BEGIN { printf "%.1f", r / 2 }') pairs/s (each pair is a reserve and a commit)"
  echo
  [ -z "$verify" ] || echo "$verify"
  echo "decisions:   /metrics tenantquota_decisions_total moved during the wrk scenarios: ${decisions_moved:-not read (no /metrics?)}"
  for l in "${SDK_LINES[@]}"; do echo "$l"; done
  for n in "${NOISE[@]}"; do echo "NOISY MACHINE: $n"; done
  echo "api.log:     $api_log_errors fail/crit and $api_log_warnings warn entries during the run ($api_log)"
  echo "raw output:  $RAW/"
  echo
  for s in "${LABELS[@]}"; do echo "${LINE[$s]}"; done
  [ "$failed" = 0 ] && echo "RESULT: ok" || echo "RESULT: FAILED (non-2xx answers, socket errors or lost records; see above and $RAW/)"
} >"$summary"
cp "$summary" "$BENCH_RESULTS/latest.txt"

# --- issue 9's targets against this run's rows (for docs/performance.md) -------------------------------
target_row() { # TEXT SCENARIO MIN_REQUESTS_PER_S [MAX_P99_MS] [DIVISOR: 2 for pairs]
  local text="$1" l="${LINE[$2]:-}" min="$3" max="${4:-}" per="${5:-1}"
  [ -n "$l" ] || { echo "| $text | not measured | - |"; return; }
  awk -v text="$text" -v r="$(field "$l" rps)" -v p="$(field "$l" p99_ms)" -v min="$min" -v max="$max" -v per="$per" 'BEGIN {
    ok = (r / per >= min) && (max == "" || p <= max)
    printf "| %s | %.0f%s, p99 %.1f ms | %s |\n", text, r / per, (per == 2 ? " pairs/s" : " req/s"), p, (ok ? "yes" : "no") }'
}
same_p99_row() { # TEXT SCENARIO_1K SCENARIO_1M: "unchanged" read as the 1M p99 at most 25 % above the 1k one
  local a="${LINE[$2]:-}" b="${LINE[$3]:-}"
  [ -n "$a" ] && [ -n "$b" ] || { echo "| $1 | not measured | - |"; return; }
  awk -v text="$1" -v a="$(field "$a" p99_ms)" -v b="$(field "$b" p99_ms)" 'BEGIN {
    printf "| %s | p99 %.1f ms at 1k, %.1f ms at 1M | %s |\n", text, a, b, (b <= 1.25 * a ? "yes" : "no") }'
}
targets_table() {
  local rss_max
  rss_max="$(for s in "${LABELS[@]}"; do echo "${RSS[$s]}"; done | grep -E '^[0-9]+$' | sort -n | tail -n 1)"
  echo "| target (issue 9) | this run | met |"
  echo "|---|---|---|"
  target_row "check ≥ 30,000 req/s at p99 ≤ 2 ms" check 30000 2
  target_row "consume ≥ 12,000 req/s at p99 ≤ 5 ms" consume 12000 5
  target_row "budgeted consume ≥ 8,000 req/s" budgeted 8000
  target_row "reserve + commit ≥ 5,000 pairs/s" reserve-commit 5000 "" 2
  same_p99_row "check p99 unchanged from 1k to 1M subjects (within 25 %)" check check-1m
  same_p99_row "consume p99 unchanged from 1k to 1M subjects (within 25 %)" consume consume-1m
  echo "| API RSS ≤ 300 MB with 1M subjects' counters | ${rss_max:-?} MB at most, over every row | $([ -n "$rss_max" ] && [ "$rss_max" -le 300 ] && echo yes || echo no) |"
}

# --- docs/performance.md: the figures of record, from a full run ------------------------------------
if [ "$BENCH_WRITE_DOC" = 1 ] && [ "$failed" = 0 ]; then
  {
    echo "# Performance"
    echo
    echo "Written by \`scripts/bench.sh\` (the last full run on this machine kind); reproduce with"
    echo "\`scripts/start.sh && scripts/bench.sh\`. The method, the scenarios and older figures are in"
    echo "[bench/README.md](../bench/README.md); the targets are issue 9's."
    echo
    echo "- Run: $BENCH_RUN_ID, $(date -u +%Y-%m-%d), commit $(git -C "$TQ_ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')"
    echo "- Machine: $(nproc) cores ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)), $(free -m | awk '/^Mem:/{print $2}') MB RAM; wrk, the API and PostgreSQL (fsync on, synchronous_commit on) share the cores"
    echo "- Load: wrk $BENCH_THREADS threads, $BENCH_CONNECTIONS connections, warm-up $BENCH_WARMUP and $BENCH_DURATION measured per scenario"
    echo
    echo "| scenario | requests/s | of the JWT ceiling | p50 ms | p99 ms | p99.9 ms | API RSS MB | allocated B/request | GCs gen0/1/2 | cpu % api / pg / wrk / other / idle |"
    echo "|---|---|---|---|---|---|---|---|---|---|"
    for s in "${LABELS[@]}"; do
      l="${LINE[$s]}"
      set -- ${ALLOC[$s]}
      echo "| $s | $(field "$l" rps) | $(of_ceiling "$(field "$l" rps)") | $(field "$l" p50_ms) | $(field "$l" p99_ms) | $(field "$l" p999_ms) | ${RSS[$s]} | $1 | $2 | ${CPU[$s]} |"
    done
    echo
    [ -z "$SLOW_RAN" ] || echo "Rows ending in +${BENCH_SLOW_PG_MS}ms: a second API process whose every round trip to PostgreSQL is held ${BENCH_SLOW_PG_MS} ms by bench/slow-pg/delay_proxy.py (about 0.5 ms more from the proxy itself); the proxy's CPU is under other."
    [ -z "${LINE[reserve-commit]:-}" ] || echo "reserve-commit counts both calls: $(awk -v r="$(field "${LINE[reserve-commit]}" rps)" 'BEGIN { printf "%.1f", r / 2 }') pairs/s."
    [ -z "$verify" ] || echo "$verify."
    [ ${#SDK_LINES[@]} = 0 ] || { echo; echo "The SDK's own cost (bench/sdk: the same check through TenantQuota.Client and through a hand-written HttpClient call, alternated):"; echo; for l in "${SDK_LINES[@]}"; do echo "    $l"; done; echo; }
    for n in "${NOISE[@]}"; do echo "Noisy machine: $n."; done
    echo
    targets_table
  } >"$TQ_ROOT/docs/performance.md"
  log "wrote docs/performance.md"
fi
echo
cat "$summary"
[ "$failed" = 0 ] || die "benchmark run $BENCH_RUN_ID FAILED"
