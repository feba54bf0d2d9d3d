#!/usr/bin/env bash
# Load benchmark of the running TenantQuota stack (start it first with scripts/start.sh).
# wrk loads at a fixed concurrency for a fixed time, each after its own warm-up:
#   ceiling-noauth  GET  /health/live              (no token, no database: the pipeline alone)
#   ceiling         GET  /v1/plans                 (authenticated, same JWT validation, no database)
#   check           POST /v1/entitlements/check    (one read per request)
#   consume         POST /v1/entitlements/consume  (one write transaction per request, new idempotency key each)
#   budgeted        consume by members of a budgeted department under a tenant budget (three levels charged)
#   reserve-commit  reserve then commit, pairs, on the same budgeted members
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
BENCH_SCENARIOS="${BENCH_SCENARIOS:-ceiling-noauth ceiling check consume hot budgeted reserve-commit}"
BENCH_WRITE_DOC="${BENCH_WRITE_DOC:-$([ "${BENCH_QUICK:-0}" = 1 ] && echo 0 || echo 1)}"
BENCH_CHECK_SUBJECTS="${BENCH_CHECK_SUBJECTS:-5000}"
BENCH_CONSUME_SUBJECTS="${BENCH_CONSUME_SUBJECTS:-20000}"
BENCH_BUDGET_SUBJECTS="${BENCH_BUDGET_SUBJECTS:-2000}"
BUDGET_CLIENT_ID="bench-budgets-backend"; BUDGET_CLIENT_SECRET="bench-budgets-dev-secret"
BUDGET_ADMIN_ID="bench-budgets-admin"; BUDGET_ADMIN_SECRET="bench-budgets-admin-secret"
BENCH_VERIFY_DB="${BENCH_VERIFY_DB:-1}"
BENCH_RESULTS="${BENCH_RESULTS:-$BENCH_DIR/results}"
BENCH_RUN_ID="${BENCH_RUN_ID:-$(date -u +%Y%m%dT%H%M%SZ)-$$}"
export BENCH_THREADS BENCH_RUN_ID BENCH_CHECK_SUBJECTS BENCH_CONSUME_SUBJECTS BENCH_BUDGET_SUBJECTS

seconds_of() { # wrk durations: 30, 30s, 2m, 1h
  case "$1" in
    *h) echo $(( ${1%h} * 3600 )) ;; *m) echo $(( ${1%m} * 60 )) ;; *s) echo "${1%s}" ;; *) echo "$1" ;;
  esac
}
for knob in BENCH_CONNECTIONS BENCH_THREADS BENCH_CHECK_SUBJECTS BENCH_CONSUME_SUBJECTS BENCH_BUDGET_SUBJECTS; do
  [[ "${!knob}" =~ ^[1-9][0-9]*$ ]] || die "$knob must be a positive integer (got '${!knob}')"
done
for knob in BENCH_WARMUP BENCH_DURATION BENCH_TIMEOUT; do
  [[ "${!knob}" =~ ^[0-9]+[smh]?$ ]] || die "$knob must be a wrk duration like 30s, 2m (got '${!knob}')"
done
[ "$BENCH_CONNECTIONS" -ge "$BENCH_THREADS" ] || die "BENCH_CONNECTIONS must be at least BENCH_THREADS"
for s in $BENCH_SCENARIOS; do
  [ -f "$BENCH_DIR/wrk/$s.lua" ] || die "unknown scenario '$s' (have: $(cd "$BENCH_DIR/wrk" && ls *.lua | grep -v common | sed 's/\.lua$//' | tr '\n' ' '))"
done

# --- tools and stack -------------------------------------------------------------------------
command -v curl >/dev/null || apt_install curl ca-certificates
command -v wrk >/dev/null || apt_install wrk
command -v wrk >/dev/null || die "wrk is not installed and could not be installed"

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

# The budgeted scenarios run on tenant bench-budgets: a tenant-wide request budget, department bench-dept
# (high priority) with a request budget, both far above what a run uses, and BENCH_BUDGET_SUBJECTS members
# placed in it through the API as a tenant admin would (only the missing ones: a rerun places none).
if [[ " $BENCH_SCENARIOS " == *" budgeted "* || " $BENCH_SCENARIOS " == *" reserve-commit "* ]]; then
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

# --- runs --------------------------------------------------------------------------------------
mkdir -p "$BENCH_RESULTS/$BENCH_RUN_ID"
RAW="$BENCH_RESULTS/$BENCH_RUN_ID"
api_log="$TQ_RUN_DIR/api.log"
api_log_start="$(wc -l <"$api_log" 2>/dev/null || echo 0)"
load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
failed=0
declare -A LINE CPU RSS
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

run_wrk() { # scenario phase duration
  local scenario="$1" phase="$2" duration="$3" out="$RAW/$1-$2.txt" line
  case "$scenario" in
    budgeted|reserve-commit) BENCH_TOKEN="$(fetch_token "$BUDGET_CLIENT_ID" "$BUDGET_CLIENT_SECRET")" || exit 1 ;;
    *) BENCH_TOKEN="$(fetch_token)" || exit 1 ;;
  esac
  log "$scenario: $phase for $duration ($BENCH_CONNECTIONS connections, $BENCH_THREADS threads)"
  BENCH_SCENARIO="$scenario" BENCH_PHASE="$phase" \
    wrk --latency -t "$BENCH_THREADS" -c "$BENCH_CONNECTIONS" -d "$duration" --timeout "$BENCH_TIMEOUT" \
        -s "$BENCH_DIR/wrk/$scenario.lua" "$API_URL" >"$out" 2>&1 \
    || { cat "$out" >&2; die "wrk failed for $scenario ($phase)"; }
  line="$(grep '^BENCH ' "$out" | tail -n 1)"
  [ -n "$line" ] || { cat "$out" >&2; die "wrk printed no BENCH line for $scenario ($phase)"; }
  if [ "$(field "$line" non2xx)" != "0" ] || [ "$(field "$line" socket_errors)" != "0" ]; then
    failed=1
    log "FAILURE in $scenario ($phase): $(field "$line" non2xx) non-2xx answers, $(field "$line" socket_errors) socket errors"
    grep '^BENCH_SAMPLE ' "$out" >&2 || true
  fi
  LAST_LINE="$line"
}

consume_ok=0
for scenario in $BENCH_SCENARIOS; do
  run_wrk "$scenario" warmup "$BENCH_WARMUP"
  [[ "$scenario" =~ ^(consume|hot)$ ]] && consume_ok=$(( consume_ok + $(field "$LAST_LINE" requests) - $(field "$LAST_LINE" non2xx) ))
  t0="$(total_ticks)"; b0="$(busy_ticks)"; a0="$(ticks_of $api_pid)"; p0="$(pg_ticks)"; child_ms; w0="$CHILD_MS"; proc_snapshot >"$PROCS_BEFORE"
  run_wrk "$scenario" measure "$BENCH_DURATION"
  t1="$(total_ticks)"; b1="$(busy_ticks)"; a1="$(ticks_of $api_pid)"; p1="$(pg_ticks)"; child_ms; w1="$CHILD_MS"; proc_snapshot >"$PROCS_AFTER"
  [[ "$scenario" =~ ^(consume|hot)$ ]] && consume_ok=$(( consume_ok + $(field "$LAST_LINE" requests) - $(field "$LAST_LINE" non2xx) ))
  # Shares of the whole machine (all cores = 100%; tick sampling, so roughly): the API process,
  # PostgreSQL, wrk, everything else (other processes, interrupts outside them), idle. A process's
  # system time includes the loopback TCP work done in its context.
  all=$(( t1 - t0 )); api=$(( a1 - a0 )); pg=$(( p1 - p0 )); wrk_t=$(( (w1 - w0) * CLK_TCK / 1000 ))
  rest=$(( (b1 - b0) - api - pg - wrk_t )); [ "$rest" -ge 0 ] || rest=0
  CPU[$scenario]="$(pct "$api" "$all")/$(pct "$pg" "$all")/$(pct "$wrk_t" "$all")/$(pct "$rest" "$all")/$(pct $(( all - (b1 - b0) )) "$all")"
  if [ "$(pct "$rest" "$all")" -gt 10 ]; then
    NOISE+=("$scenario: $(pct "$rest" "$all")% of the machine went to other processes during the measurement (top: $(top_others))")
  fi
  LINE[$scenario]="$LAST_LINE"
  # The API's resident memory right after the measured run (issue 9: at most 300 MB).
  RSS[$scenario]="$(awk '/^VmRSS:/ { printf "%d", $2 / 1024 }' "/proc/$api_pid/status" 2>/dev/null || echo '?')"
  log "$scenario: $LAST_LINE"
done

# --- consume really recorded? -----------------------------------------------------------------
verify=""
if [[ " $BENCH_SCENARIOS " == *" consume "* || " $BENCH_SCENARIOS " == *" hot "* ]] && [ "$BENCH_VERIFY_DB" = "1" ]; then
  if command -v psql >/dev/null && stored="$(psql -qtAX -h 127.0.0.1 -p "$TQ_PG_PORT" -U postgres -d "$TQ_DB_NAME" \
      -c "SELECT count(*) FROM usage_records WHERE tenant_id = 'bench' AND recorded
            AND idempotency_key LIKE ANY (ARRAY['bench-$BENCH_RUN_ID-warmup-%', 'bench-$BENCH_RUN_ID-measure-%',
                                          'bench-hot-$BENCH_RUN_ID-warmup-%', 'bench-hot-$BENCH_RUN_ID-measure-%'])" 2>/dev/null)"; then
    # wrk stops with requests in flight: those may be recorded without wrk counting the answer,
    # so the database may hold up to 2 x connections more rows than wrk saw 2xx answers; never fewer.
    if [ "$stored" -lt "$consume_ok" ]; then
      failed=1
      verify="consume, hot: FAILED, wrk saw $consume_ok 2xx answers but only $stored usage records were stored"
    else
      verify="consume, hot: $consume_ok 2xx answers seen by wrk, $stored usage records stored for run $BENCH_RUN_ID (in-flight at stop: $(( stored - consume_ok )))"
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
api_log_errors="$(tail -n +"$(( api_log_start + 1 ))" "$api_log" 2>/dev/null | grep -cE '^(fail|crit): ' || true)"
api_log_warnings="$(tail -n +"$(( api_log_start + 1 ))" "$api_log" 2>/dev/null | grep -cE '^warn: ' || true)"
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
  printf '%-14s %12s %10s %9s %9s %10s %9s %9s %7s  %s\n' scenario requests/s "of ceiling" "p50 ms" "p99 ms" "p99.9 ms" non-2xx sock-err "rss MB" "cpu% api/pg/wrk/other/idle"
  for s in $BENCH_SCENARIOS; do
    l="${LINE[$s]}"
    printf '%-14s %12s %10s %9s %9s %10s %9s %9s %7s  %s\n' "$s" "$(field "$l" rps)" "$(of_ceiling "$(field "$l" rps)")" "$(field "$l" p50_ms)" \
      "$(field "$l" p99_ms)" "$(field "$l" p999_ms)" "$(field "$l" non2xx)" "$(field "$l" socket_errors)" "${RSS[$s]}" "${CPU[$s]}"
  done
  [ -z "${LINE[reserve-commit]:-}" ] || echo "reserve-commit: $(awk -v r="$(field "${LINE[reserve-commit]}" rps)" 'BEGIN { printf "%.1f", r / 2 }') pairs/s (each pair is a reserve and a commit)"
  echo
  [ -z "$verify" ] || echo "$verify"
  for n in "${NOISE[@]}"; do echo "NOISY MACHINE: $n"; done
  echo "api.log:     $api_log_errors fail/crit and $api_log_warnings warn entries during the run ($api_log)"
  echo "raw output:  $RAW/"
  echo
  for s in $BENCH_SCENARIOS; do echo "${LINE[$s]}"; done
  [ "$failed" = 0 ] && echo "RESULT: ok" || echo "RESULT: FAILED (non-2xx answers, socket errors or lost records; see above and $RAW/)"
} >"$summary"
cp "$summary" "$BENCH_RESULTS/latest.txt"

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
    echo "| scenario | requests/s | of the JWT ceiling | p50 ms | p99 ms | p99.9 ms | API RSS MB | cpu % api / pg / wrk / other / idle |"
    echo "|---|---|---|---|---|---|---|---|"
    for s in $BENCH_SCENARIOS; do
      l="${LINE[$s]}"
      echo "| $s | $(field "$l" rps) | $(of_ceiling "$(field "$l" rps)") | $(field "$l" p50_ms) | $(field "$l" p99_ms) | $(field "$l" p999_ms) | ${RSS[$s]} | ${CPU[$s]} |"
    done
    echo
    [ -z "${LINE[reserve-commit]:-}" ] || echo "reserve-commit counts both calls: $(awk -v r="$(field "${LINE[reserve-commit]}" rps)" 'BEGIN { printf "%.1f", r / 2 }') pairs/s."
    [ -z "$verify" ] || echo "$verify."
    for n in "${NOISE[@]}"; do echo "Noisy machine: $n."; done
  } >"$TQ_ROOT/docs/performance.md"
  log "wrote docs/performance.md"
fi
echo
cat "$summary"
[ "$failed" = 0 ] || die "benchmark run $BENCH_RUN_ID FAILED"
