-- version: 4
-- Changes several counters of one tenant together, or none of them: the levels of one request
-- (tenant budget, department budget, subject cell), or the holds of expiring reservations.
-- p_lines: a JSON array of lines { level, owner, metric, windowStart, windowEnd, used, reserved,
-- ceiling, countsFrom, burst }, where used and reserved are the changes to make (either may be negative
-- when a hold is freed) and ceiling, when not null, is the most the counter may count (used + reserved)
-- afterwards. Other keys are ignored (callers keep the limit that applied next to each line).
-- A rolling line (countsFrom before windowStart) counts every bucket row from countsFrom on (later ones too:
-- a process whose clock runs ahead may have counted there), plus what older buckets from holdsFrom on still
-- hold (a hold counts until it is settled, even once its bucket has left the window), and changes the
-- windowStart bucket; an advisory lock on the counter serialises its requests, since they may land in
-- different buckets. A line with burst { metric, windowStart, windowEnd, limit } may pass its
-- ceiling by what the burst counter still allows in its window; the part past the ceiling is added to it.
-- Answers applied (false: some line refused and nothing was changed) and, per line in p_lines order, what
-- its counter counted (used + reserved) before this call, and what its burst counter had used (0 without).
-- Deadlocks: every caller locks counters here and only here, in one global order (level tenant →
-- department → subject, then owner, metric, window start), whatever order the lines come in; a burst
-- counter ('<class>#burst') right after its own counter. A line that refuses stops the walk; the lines
-- already changed are changed back (they are locked by this transaction, so nobody saw them) rather than
-- run in a subtransaction that every call would pay for.
DROP FUNCTION IF EXISTS tq_apply_lines(text, jsonb);
CREATE FUNCTION tq_apply_lines(p_tenant_id text, p_lines jsonb, OUT applied boolean, OUT counted bigint[], OUT burst_used bigint[])
LANGUAGE plpgsql AS $$
DECLARE
    line        record;
    after       bigint;
    total       bigint;
    over        bigint;
    changed     integer[] := '{}';
    overs       bigint[];
    i           integer;
    l           jsonb;
BEGIN
    applied := true;
    counted := array_fill(NULL::bigint, ARRAY[jsonb_array_length(p_lines)]);
    burst_used := array_fill(0::bigint, ARRAY[jsonb_array_length(p_lines)]);
    overs := array_fill(0::bigint, ARRAY[jsonb_array_length(p_lines)]);
    FOR line IN
        SELECT l.ord::integer AS ord, l.v->>'level' AS level, l.v->>'owner' AS owner, l.v->>'metric' AS metric,
               (l.v->>'windowStart')::timestamptz AS window_start, (l.v->>'windowEnd')::timestamptz AS window_end,
               COALESCE((l.v->>'countsFrom')::timestamptz, (l.v->>'windowStart')::timestamptz) AS counts_from,
               CASE WHEN l.v ? 'countsFrom' THEN 'infinity'::timestamptz ELSE (l.v->>'windowStart')::timestamptz END AS counts_to,
               COALESCE((l.v->>'holdsFrom')::timestamptz, (l.v->>'countsFrom')::timestamptz, (l.v->>'windowStart')::timestamptz) AS holds_from,
               COALESCE((l.v->>'used')::bigint, 0) AS d_used, COALESCE((l.v->>'reserved')::bigint, 0) AS d_reserved,
               (l.v->>'ceiling')::bigint AS ceiling,
               CASE WHEN jsonb_typeof(l.v->'burst') = 'object' THEN l.v->'burst' END AS burst
          FROM jsonb_array_elements(p_lines) WITH ORDINALITY AS l (v, ord)
         ORDER BY CASE l.v->>'level' WHEN 'tenant' THEN 0 WHEN 'department' THEN 1 ELSE 2 END,
                  l.v->>'owner', l.v->>'metric', (l.v->>'windowStart')::timestamptz
    LOOP
        after := NULL;
        IF NOT applied THEN
            NULL;
        ELSIF line.counts_from = line.window_start AND line.burst IS NULL THEN
            -- A calendar counter: one statement. ON CONFLICT locks the row even when its WHERE refuses the
            -- change, so concurrent requests on one counter queue here and each sees the one before it. The
            -- inserted values are never negative (a hold is freed only from a row that exists).
            INSERT INTO quota_counters AS c (tenant_id, level, owner_id, metric, window_start, window_end, used, reserved)
            SELECT p_tenant_id, line.level, line.owner, line.metric, line.window_start, line.window_end,
                   GREATEST(line.d_used, 0), GREATEST(line.d_reserved, 0)
             WHERE line.ceiling IS NULL OR line.d_used + line.d_reserved <= line.ceiling
            ON CONFLICT ON CONSTRAINT quota_counters_pkey DO UPDATE
               SET used = c.used + line.d_used, reserved = c.reserved + line.d_reserved
             WHERE line.ceiling IS NULL OR c.used + c.reserved + line.d_used + line.d_reserved <= line.ceiling
            RETURNING c.used + c.reserved INTO after;
        ELSE
            -- A rolling counter, or one with a burst allowance: lock, count, decide, then change.
            IF line.counts_from <> line.window_start THEN
                PERFORM pg_advisory_xact_lock(hashtextextended(jsonb_build_array(p_tenant_id, line.level, line.owner, line.metric)::text, 7452));
            ELSE
                INSERT INTO quota_counters (tenant_id, level, owner_id, metric, window_start, window_end, used, reserved)
                VALUES (p_tenant_id, line.level, line.owner, line.metric, line.window_start, line.window_end, 0, 0)
                ON CONFLICT ON CONSTRAINT quota_counters_pkey DO NOTHING;
                PERFORM 1 FROM quota_counters c
                 WHERE c.tenant_id = p_tenant_id AND c.level = line.level AND c.owner_id = line.owner
                   AND c.metric = line.metric AND c.window_start = line.window_start FOR UPDATE;
            END IF;
            SELECT COALESCE(sum(CASE WHEN c.window_start >= line.counts_from THEN c.used ELSE 0 END + c.reserved), 0) INTO total
              FROM quota_counters c
             WHERE c.tenant_id = p_tenant_id AND c.level = line.level AND c.owner_id = line.owner AND c.metric = line.metric
               AND c.window_start BETWEEN line.holds_from AND line.counts_to;
            over := 0;
            after := total + line.d_used + line.d_reserved;
            IF line.burst IS NOT NULL THEN
                burst_used[line.ord] := tq_burst_used(p_tenant_id, line.level, line.owner, line.burst); -- under the counter's lock
            END IF;
            IF line.ceiling IS NOT NULL AND after > line.ceiling THEN
                IF line.burst IS NULL OR line.ceiling < 0
                   OR burst_used[line.ord] + after - GREATEST(line.ceiling, total) > COALESCE((line.burst->>'limit')::bigint, 0) THEN
                    after := NULL;
                ELSE
                    -- The part of this request past the ceiling comes out of the burst allowance of its window.
                    over := after - GREATEST(line.ceiling, total);
                    INSERT INTO quota_counters AS c (tenant_id, level, owner_id, metric, window_start, window_end, used)
                    VALUES (p_tenant_id, line.level, line.owner, line.burst->>'metric', (line.burst->>'windowStart')::timestamptz,
                            (line.burst->>'windowEnd')::timestamptz, over)
                    ON CONFLICT ON CONSTRAINT quota_counters_pkey DO UPDATE SET used = c.used + over;
                END IF;
            END IF;
            IF after IS NOT NULL THEN
                INSERT INTO quota_counters AS c (tenant_id, level, owner_id, metric, window_start, window_end, used, reserved)
                VALUES (p_tenant_id, line.level, line.owner, line.metric, line.window_start, line.window_end,
                        GREATEST(line.d_used, 0), GREATEST(line.d_reserved, 0))
                ON CONFLICT ON CONSTRAINT quota_counters_pkey DO UPDATE
                   SET used = c.used + line.d_used, reserved = c.reserved + line.d_reserved;
                overs[line.ord] := over;
            END IF;
        END IF;

        IF after IS NOT NULL THEN
            counted[line.ord] := after - line.d_used - line.d_reserved;
            changed := changed || line.ord;
            CONTINUE;
        END IF;
        IF applied THEN
            applied := false;
            -- Undo what this call changed so far, from the lines as given.
            FOREACH i IN ARRAY changed LOOP
                l := p_lines->(i - 1);
                UPDATE quota_counters c
                   SET used = c.used - COALESCE((l->>'used')::bigint, 0), reserved = c.reserved - COALESCE((l->>'reserved')::bigint, 0)
                 WHERE c.tenant_id = p_tenant_id AND c.level = l->>'level' AND c.owner_id = l->>'owner'
                   AND c.metric = l->>'metric' AND c.window_start = (l->>'windowStart')::timestamptz;
                IF overs[i] > 0 THEN
                    UPDATE quota_counters c SET used = c.used - overs[i]
                     WHERE c.tenant_id = p_tenant_id AND c.level = l->>'level' AND c.owner_id = l->>'owner'
                       AND c.metric = l->'burst'->>'metric' AND c.window_start = (l->'burst'->>'windowStart')::timestamptz;
                END IF;
            END LOOP;
        END IF;
        SELECT COALESCE(sum(CASE WHEN c.window_start >= line.counts_from THEN c.used ELSE 0 END + c.reserved), 0) INTO total
          FROM quota_counters c
         WHERE c.tenant_id = p_tenant_id AND c.level = line.level AND c.owner_id = line.owner AND c.metric = line.metric
           AND c.window_start BETWEEN line.holds_from AND line.counts_to;
        counted[line.ord] := total;
        IF line.burst IS NOT NULL THEN
            burst_used[line.ord] := tq_burst_used(p_tenant_id, line.level, line.owner, line.burst);
        END IF;
    END LOOP;
END
$$;
