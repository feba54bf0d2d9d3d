-- version: 1
-- What a counter's burst allowance has used in its window (tq_apply_lines): p_burst is the line's
-- { metric, windowStart, … }. 0 when nothing was used yet.
CREATE OR REPLACE FUNCTION tq_burst_used(p_tenant_id text, p_level text, p_owner text, p_burst jsonb) RETURNS bigint
LANGUAGE sql STABLE
AS $$
    SELECT COALESCE((SELECT c.used FROM quota_counters c
                      WHERE c.tenant_id = p_tenant_id AND c.level = p_level AND c.owner_id = p_owner
                        AND c.metric = p_burst->>'metric' AND c.window_start = (p_burst->>'windowStart')::timestamptz), 0)
$$;
