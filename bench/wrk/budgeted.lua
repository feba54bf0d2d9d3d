-- Budgeted consume: POST /v1/entitlements/consume on tenant bench-budgets, summaries (enterprise: 10,000
-- a day per subject, warn), quantity 1, a new idempotency key per request, subjects bench-member-0 ..
-- bench-member-(BENCH_BUDGET_SUBJECTS-1) in turn. scripts/bench.sh puts them all in department bench-dept
-- (high priority) with a request budget, under a tenant-wide request budget, both far from their limits:
-- every consume charges three counters in one transaction, two of them shared by every request (the
-- department's and the tenant's), which is what a budgeted enterprise tenant costs.
dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "common.lua")

bench.consume_load("bench", "bench-member-", "summaries", tonumber(os.getenv("BENCH_BUDGET_SUBJECTS") or "2000"))
