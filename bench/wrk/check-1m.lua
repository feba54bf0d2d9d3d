-- Check over a million subjects: like check, but subjects bench-user-0 .. bench-user-(BENCH_MANY_SUBJECTS-1)
-- in turn (threads striped), each with a counter in the current window (bench.sh seeds them), so the counter
-- rows a run reads are spread over an index far larger than the 1k-subject check's.
dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "common.lua")

local subjects = tonumber(os.getenv("BENCH_MANY_SUBJECTS") or "1000000")
wrk.method = "POST"
wrk.path = "/v1/entitlements/check"
wrk.headers["Content-Type"] = "application/json"

local counter = 0
function request()
  local subject = (counter * bench.threads + thread_id) % subjects
  counter = counter + 1
  return wrk.format(nil, nil, nil, '{"subjectId":"bench-user-' .. subject .. '","operationClass":"background_indexing","quantity":1}')
end
