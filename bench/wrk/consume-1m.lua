-- Consume over a million subjects: like consume, but subjects bench-user-0 .. bench-user-(BENCH_MANY_SUBJECTS-1)
-- in turn, each with a counter in the current window (bench.sh seeds them), so each consume locks and
-- changes a different existing row of a million. Keys "bench-many-<run>-<phase>-t<thread>-<n>".
dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "common.lua")

bench.consume_load("bench-many", "bench-user-", "background_indexing", tonumber(os.getenv("BENCH_MANY_SUBJECTS") or "1000000"))
