-- No-auth ceiling: GET /health/live without a token: the same Kestrel pipeline and middleware, no JWT
-- validation, no database. What the machine gives any endpoint of this API; the gap to `ceiling` is the
-- price of validating a JWT per request.
dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "common.lua")

wrk.headers["Authorization"] = nil
bench.get_load("/health/live")
