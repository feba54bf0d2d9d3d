-- Overage: POST /v1/entitlements/consume, drafts, quantity 1, a new idempotency key per request
-- ("ov-<run>-<phase>-t<thread>-<counter>"), subjects ov-0 .. ov-(BENCH_OV_SUBJECTS-1) in turn, threads
-- striped. bench/overage/run.sh fills every subject to the pro tier's drafts hard limit (400 a day)
-- first, so every request here is billable: one usage record, one outbox row, one meter event.
-- The BENCH result line and status counting come from ../wrk/common.lua.
dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "../wrk/common.lua")

bench.consume_load("ov", "ov-", "drafts", tonumber(os.getenv("BENCH_OV_SUBJECTS") or "64"))
