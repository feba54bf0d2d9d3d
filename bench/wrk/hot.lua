-- Hot counter: POST /v1/entitlements/consume like the consume scenario, but every request by one subject
-- (bench-hot-0: a single power user), so every consume waits on the same counter row's lock. A new
-- idempotency key per request; background_indexing is an overage cell, so nothing is refused.
dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "common.lua")

bench.consume_load("bench-hot", "bench-hot-", "background_indexing", 1)
