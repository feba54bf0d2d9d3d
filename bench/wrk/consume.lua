-- Consume: POST /v1/entitlements/consume, background_indexing (enterprise: monthly, overage),
-- quantity 1, a new idempotency key per request ("bench-<run>-<phase>-t<thread>-<counter>"),
-- subjects bench-consumer-0 .. bench-consumer-(BENCH_CONSUME_SUBJECTS-1) in turn, threads striped,
-- so no single counter row is hot and none gets near the hard limit in a run.
dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "common.lua")

local subjects = tonumber(os.getenv("BENCH_CONSUME_SUBJECTS") or "20000")
wrk.method = "POST"
wrk.path = "/v1/entitlements/consume"
wrk.headers["Content-Type"] = "application/json"

local key_prefix
local counter = 0
function init(args)
  key_prefix = "bench-" .. bench.run_id .. "-" .. bench.phase .. "-t" .. thread_id .. "-"
end
function request()
  counter = counter + 1
  local subject = ((counter - 1) * bench.threads + thread_id) % subjects
  local body = '{"subjectId":"bench-consumer-' .. subject ..
    '","operationClass":"background_indexing","quantity":1,"idempotencyKey":"' .. key_prefix .. counter .. '"}'
  return wrk.format(nil, nil, nil, body)
end
