-- Check: POST /v1/entitlements/check, background_indexing, quantity 1, subjects
-- bench-user-0 .. bench-user-(BENCH_CHECK_SUBJECTS-1) in turn (threads striped), each with a seeded counter, so reads spread
-- over many counter rows. Records nothing. Requests are prebuilt in init() to keep wrk cheap.
dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "common.lua")

local subjects = tonumber(os.getenv("BENCH_CHECK_SUBJECTS") or "1000")
wrk.method = "POST"
wrk.path = "/v1/entitlements/check"
wrk.headers["Content-Type"] = "application/json"

local reqs = {}
local count = 0
local i = 0
function init(args)
  for n = thread_id, subjects - 1, bench.threads do
    local body = '{"subjectId":"bench-user-' .. n .. '","operationClass":"background_indexing","quantity":1}'
    count = count + 1
    reqs[count] = wrk.format(nil, nil, nil, body)
  end
end
function request()
  i = i % count + 1
  return reqs[i]
end
