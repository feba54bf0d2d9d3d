-- Consume: POST /v1/entitlements/consume, background_indexing (enterprise: monthly, overage),
-- quantity 1, a new idempotency key per request ("bench-<run>-<phase>-t<thread>-<counter>"),
-- subjects bench-consumer-0 .. bench-consumer-(BENCH_CONSUME_SUBJECTS-1) in turn, threads striped,
-- so no single counter row is hot and none gets near the hard limit in a run.
dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "common.lua")

bench.consume_load("bench", "bench-consumer-", "background_indexing", tonumber(os.getenv("BENCH_CONSUME_SUBJECTS") or "1000"))
