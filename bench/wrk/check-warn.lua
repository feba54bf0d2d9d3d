-- Check past the soft limit: like check, but subjects bench-warn-0 .. bench-warn-999, each seeded halfway between the
-- soft and the hard limit (bench.sh), so every answer is a warning with its end-user message rendered from the
-- templates. What the copy costs on the hot path.
dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "common.lua")

bench.check_load("bench-warn-", 1000)
