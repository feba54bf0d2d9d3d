-- Reserve + commit pairs on tenant bench-budgets (see budgeted.lua): each connection reserves 2 summaries
-- for a member of the budgeted department (a new idempotency key each), then commits 1 of them with the
-- reservation id the answer gave, and so on. Every pair holds at three levels and settles at three levels.
-- The requests/s reported counts both calls: pairs/s is half of it.
dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "common.lua")

local subjects = tonumber(os.getenv("BENCH_BUDGET_SUBJECTS") or "2000")
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"

local key_prefix
local counter = 0
local to_commit = {}
function init(args)
  key_prefix = "bench-" .. bench.run_id .. "-" .. bench.phase .. "-t" .. thread_id .. "-"
end
function request()
  local id = table.remove(to_commit)
  if id ~= nil then
    return wrk.format(nil, "/v1/reservations/" .. id .. "/commit", nil, '{"quantity":1}')
  end
  counter = counter + 1
  local subject = ((counter - 1) * bench.threads + thread_id) % subjects
  local body = '{"subjectId":"bench-member-' .. subject ..
    '","operationClass":"summaries","quantity":2,"ttlSeconds":600,"idempotencyKey":"' .. key_prefix .. counter .. '"}'
  return wrk.format(nil, "/v1/entitlements/reserve", nil, body)
end

local count_status = response
function response(status, headers, body)
  count_status(status, headers, body)
  local id = string.match(body or "", '"reservationId":"(res_%x+)"')
  if id ~= nil then table.insert(to_commit, id) end
end
