-- Ceiling: GET /v1/plans, a trivial authenticated endpoint of the same API (same JwtBearer
-- validation, same pipeline, no database). What the API can do at best on this machine.
dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "common.lua")

bench.get_load("/v1/plans")
