-- version: 1
-- Changes several counters of one tenant together, or none of them: the levels of one request
-- (tenant budget, department budget, subject cell), or the holds of expiring reservations.
-- p_lines: a JSON array of lines { level, owner, metric, windowStart, windowEnd, used, reserved,
-- ceiling }, where used and reserved are the changes to make (either may be negative when a hold is
-- freed) and ceiling, when not null, is the most the counter may count (used + reserved) afterwards.
-- Other keys are ignored (callers keep the limit that applied next to each line).
-- Answers applied (false: some line's ceiling refused and nothing was changed) and, per line in
-- p_lines order, what its counter counted (used + reserved) before this call.
-- Deadlocks: every caller locks counter rows here and only here, in one global order (level tenant →
-- department → subject, then owner, metric, window start), whatever order the lines come in. A line
-- that refuses stops the walk; the lines already changed are changed back (they are locked by this
-- transaction, so nobody saw them) rather than run in a subtransaction that every call would pay for.
CREATE OR REPLACE FUNCTION tq_apply_lines(p_tenant_id text, p_lines jsonb, OUT applied boolean, OUT counted bigint[])
LANGUAGE plpgsql AS $$
DECLARE
    line       record;
    after      bigint;
    changed    integer[] := '{}';
    i          integer;
BEGIN
    applied := true;
    counted := array_fill(NULL::bigint, ARRAY[jsonb_array_length(p_lines)]);
    FOR line IN
        SELECT l.ord::integer AS ord, l.v->>'level' AS level, l.v->>'owner' AS owner, l.v->>'metric' AS metric,
               (l.v->>'windowStart')::timestamptz AS window_start, (l.v->>'windowEnd')::timestamptz AS window_end,
               COALESCE((l.v->>'used')::bigint, 0) AS d_used, COALESCE((l.v->>'reserved')::bigint, 0) AS d_reserved,
               (l.v->>'ceiling')::bigint AS ceiling
          FROM jsonb_array_elements(p_lines) WITH ORDINALITY AS l (v, ord)
         ORDER BY CASE l.v->>'level' WHEN 'tenant' THEN 0 WHEN 'department' THEN 1 ELSE 2 END,
                  l.v->>'owner', l.v->>'metric', (l.v->>'windowStart')::timestamptz
    LOOP
        after := NULL;
        IF applied THEN
            -- ON CONFLICT locks the row even when its WHERE refuses the change, so concurrent requests on
            -- one counter queue here and each sees the one before it. The inserted values are never
            -- negative (a hold is freed only from a row that exists).
            INSERT INTO quota_counters AS c (tenant_id, level, owner_id, metric, window_start, window_end, used, reserved)
            SELECT p_tenant_id, line.level, line.owner, line.metric, line.window_start, line.window_end,
                   GREATEST(line.d_used, 0), GREATEST(line.d_reserved, 0)
             WHERE line.ceiling IS NULL OR line.d_used + line.d_reserved <= line.ceiling
            ON CONFLICT ON CONSTRAINT quota_counters_pkey DO UPDATE
               SET used = c.used + line.d_used, reserved = c.reserved + line.d_reserved
             WHERE line.ceiling IS NULL OR c.used + c.reserved + line.d_used + line.d_reserved <= line.ceiling
            RETURNING c.used + c.reserved INTO after;
        END IF;
        IF after IS NOT NULL THEN
            counted[line.ord] := after - line.d_used - line.d_reserved;
            changed := changed || line.ord;
        ELSE
            IF applied THEN
                applied := false;
                -- Undo what this call changed so far, from the lines as given.
                FOREACH i IN ARRAY changed LOOP
                    UPDATE quota_counters c
                       SET used = c.used - COALESCE((p_lines->(i - 1)->>'used')::bigint, 0),
                           reserved = c.reserved - COALESCE((p_lines->(i - 1)->>'reserved')::bigint, 0)
                     WHERE c.tenant_id = p_tenant_id AND c.level = p_lines->(i - 1)->>'level'
                       AND c.owner_id = p_lines->(i - 1)->>'owner' AND c.metric = p_lines->(i - 1)->>'metric'
                       AND c.window_start = (p_lines->(i - 1)->>'windowStart')::timestamptz;
                END LOOP;
            END IF;
            SELECT c.used + c.reserved INTO after FROM quota_counters c
             WHERE c.tenant_id = p_tenant_id AND c.level = line.level AND c.owner_id = line.owner
               AND c.metric = line.metric AND c.window_start = line.window_start;
            counted[line.ord] := COALESCE(after, 0);
        END IF;
    END LOOP;
END
$$;
