-- Shared by the bench/wrk/*.lua scenarios (loaded with dofile; not a wrk script by itself).
-- scripts/bench.sh passes everything through the environment:
--   BENCH_TOKEN     bearer token of bench-backend (required)
--   BENCH_SCENARIO  name printed in the result line
--   BENCH_PHASE     warmup | measure (part of consume's idempotency keys)
--   BENCH_RUN_ID    unique per bench.sh run, so reruns never reuse an idempotency key
--   BENCH_THREADS   the wrk -t value, to stripe subjects across threads
-- The result is one machine-readable line per run, printed by done():
--   BENCH scenario=... phase=... rps=... p50_ms=... p99_ms=... p999_ms=... max_ms=...
--         requests=... non2xx=... socket_errors=... duration_s=...
-- plus one "BENCH_SAMPLE" line per thread that saw a non-2xx answer (status and body start).

local token = os.getenv("BENCH_TOKEN")
if token == nil or token == "" then error("BENCH_TOKEN is not set") end

bench = {
  scenario = os.getenv("BENCH_SCENARIO") or "unknown",
  phase = os.getenv("BENCH_PHASE") or "measure",
  run_id = os.getenv("BENCH_RUN_ID") or tostring(os.time()),
  threads = tonumber(os.getenv("BENCH_THREADS") or "1") or 1,
}

wrk.headers["Authorization"] = "Bearer " .. token
wrk.headers["Accept"] = "application/json"

-- Main Lua state: number the threads and keep them, so done() can add up their counters.
local all_threads = {}
function setup(thread)
  thread:set("thread_id", #all_threads)   -- 0-based
  table.insert(all_threads, thread)
end

-- Thread Lua states: counters read back by done().
thread_id = 0
non2xx = 0
sample = nil
function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
    if sample == nil then
      sample = tostring(status) .. " " .. string.gsub(string.sub(body or "", 1, 300), "%s+", " ")
    end
  end
end

function done(summary, latency, requests)
  local bad = 0
  local samples = {}
  for _, thread in ipairs(all_threads) do
    bad = bad + (thread:get("non2xx") or 0)
    local s = thread:get("sample")
    if s ~= nil then table.insert(samples, s) end
  end
  local e = summary.errors
  local socket_errors = e.connect + e.read + e.write + e.timeout
  local seconds = summary.duration / 1e6
  local ms = function(p) return latency:percentile(p) / 1000 end
  io.write(string.format(
    "BENCH scenario=%s phase=%s rps=%.1f p50_ms=%.3f p99_ms=%.3f p999_ms=%.3f max_ms=%.3f requests=%d non2xx=%d socket_errors=%d duration_s=%.1f\n",
    bench.scenario, bench.phase, summary.requests / seconds, ms(50), ms(99), ms(99.9), latency.max / 1000,
    summary.requests, bad, socket_errors, seconds))
  for _, s in ipairs(samples) do
    io.write("BENCH_SAMPLE scenario=" .. bench.scenario .. " phase=" .. bench.phase .. " " .. s .. "\n")
  end
end

-- A consume load: POST /v1/entitlements/consume, quantity 1, a new idempotency key per request
-- ("<key_prefix>-<run>-<phase>-t<thread>-<counter>"), subjects <subject_prefix>0 .. <subject_prefix>(subjects-1)
-- in turn, threads striped, so no single subject's counter is hot. Defines wrk's init and request.
function bench.consume_load(key_prefix, subject_prefix, operation_class, subjects)
  wrk.method = "POST"
  wrk.path = "/v1/entitlements/consume"
  wrk.headers["Content-Type"] = "application/json"
  local prefix
  local counter = 0
  function init(args)
    prefix = key_prefix .. "-" .. bench.run_id .. "-" .. bench.phase .. "-t" .. thread_id .. "-"
  end
  function request()
    counter = counter + 1
    local subject = ((counter - 1) * bench.threads + thread_id) % subjects
    local body = '{"subjectId":"' .. subject_prefix .. subject .. '","operationClass":"' .. operation_class ..
      '","quantity":1,"idempotencyKey":"' .. prefix .. counter .. '"}'
    return wrk.format(nil, nil, nil, body)
  end
end

-- A GET load on one path, the same request every time. Defines wrk's init and request.
function bench.get_load(path)
  wrk.method = "GET"
  wrk.path = path
  local req
  function init(args)
    req = wrk.format()
  end
  function request()
    return req
  end
end

-- A check load: POST /v1/entitlements/check, background_indexing, quantity 1, subjects <subject_prefix>0 ..
-- <subject_prefix>(subjects-1) in turn (threads striped). Requests are prebuilt in init() to keep wrk cheap.
-- Defines wrk's init and request.
function bench.check_load(subject_prefix, subjects)
  wrk.method = "POST"
  wrk.path = "/v1/entitlements/check"
  wrk.headers["Content-Type"] = "application/json"
  local reqs = {}
  local count = 0
  local i = 0
  function init(args)
    for n = thread_id, subjects - 1, bench.threads do
      count = count + 1
      reqs[count] = wrk.format(nil, nil, nil, '{"subjectId":"' .. subject_prefix .. n .. '","operationClass":"background_indexing","quantity":1}')
    end
  end
  function request()
    i = i % count + 1
    return reqs[i]
  end
end
