-- Check: POST /v1/entitlements/check, background_indexing, quantity 1, subjects
-- bench-user-0 .. bench-user-(BENCH_CHECK_SUBJECTS-1) in turn (threads striped), each with a seeded counter, so reads spread
-- over many counter rows. Records nothing.
dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "common.lua")

bench.check_load("bench-user-", tonumber(os.getenv("BENCH_CHECK_SUBJECTS") or "1000"))
