-- Check past the soft limit: like check, but subjects bench-warn-0 .. bench-warn-999, each seeded halfway between the
-- soft and the hard limit (bench.sh), so every answer is a warning with its end-user message rendered from the
-- templates (title, body, call to action). What the copy costs on the hot path.
dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "common.lua")

wrk.method = "POST"
wrk.path = "/v1/entitlements/check"
wrk.headers["Content-Type"] = "application/json"

local reqs = {}
local count = 0
local i = 0
function init(args)
  for n = thread_id, 999, bench.threads do
    count = count + 1
    reqs[count] = wrk.format(nil, nil, nil, '{"subjectId":"bench-warn-' .. n .. '","operationClass":"background_indexing","quantity":1}')
  end
end
function request()
  i = i % count + 1
  return reqs[i]
end
