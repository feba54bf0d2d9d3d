-- version: 3
-- A consume or a reserve, in one round trip and one transaction: replay check, tenant version check,
-- every level's counter changed together or none (tq_apply_lines), and the record of it.
-- p_mode 'consume': a usage record (and, for the billable part of an overage cell, its billing_outbox
--   row: no overage without its message, docs/decisions/0007); the lines carry `used`.
-- p_mode 'reserve': a reservation whose holds are the lines; the lines carry `reserved`.
-- p_lines: one line per level (see tq_apply_lines) plus the limit that applied to it, computed by the
-- domain rules in C#; the line of level 'subject' also carries softLimit, hardLimit, overQuota and
-- fallbackClass for the record's own columns; a line with a burst allowance also stores what its burst
-- counter had used (burstBefore). The function enforces the ceilings atomically and stores
-- the lines with what each counter held before (`before`), from which C# explains the decision.
-- Outcomes (tq_charge_outcome): 'existing' (the key was used before: its record or reservation is
-- returned), 'stale_tenant' (the caller's cached tenant is out of date: reload and call again),
-- 'recorded' / 'denied' (consume), 'held' / 'denied' (reserve).
-- Two requests racing with one new key: the loser fails on the unique key and its whole transaction
-- rolls back; the caller retries and finds the winner's row.
-- Parameters and result columns are a contract with running API processes (docs/decisions/0004).
-- p_trace_parent (version 3, last and optional, so processes that pass 17 arguments still call this one): the
-- request's W3C traceparent, kept on the outbox row for the worker (migration 0019).
DROP FUNCTION IF EXISTS tq_charge(text, text, bigint, text, text, text, bigint, text, text, bigint, bigint, bigint, text, text, jsonb, timestamptz, timestamptz);
CREATE OR REPLACE FUNCTION tq_charge(
    p_mode text, p_tenant_id text, p_tenant_version bigint, p_idempotency_key text,
    p_subject_id text, p_operation_class text, p_quantity bigint, p_department_id text,
    p_model text, p_input_tokens bigint, p_output_tokens bigint, p_cost_micro_usd bigint,
    p_tier text, p_matrix_version text, p_lines jsonb, p_expires_at timestamptz, p_now timestamptz, p_trace_parent text DEFAULT NULL)
RETURNS TABLE (
    outcome text, id text, subject_id text, operation_class text, quantity bigint, recorded boolean,
    model text, input_tokens bigint, output_tokens bigint, cost_micro_usd bigint, tier text, status text,
    expires_at timestamptz, charges jsonb)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    prior_record    usage_records;
    prior_hold      reservations;
    current_version bigint;
    result          record;
    stored          jsonb;
    subject_line    jsonb;
    new_record_id   bigint;
    new_id          text;
    billable_part   bigint;
BEGIN
    IF p_mode = 'consume' THEN
        SELECT * INTO prior_record FROM usage_records r
         WHERE r.tenant_id = p_tenant_id AND r.idempotency_key = p_idempotency_key;
        IF FOUND THEN
            RETURN QUERY SELECT 'existing'::tq_charge_outcome::text, prior_record.id::text, prior_record.subject_id,
                prior_record.operation_class, prior_record.quantity, prior_record.recorded, prior_record.model,
                prior_record.input_tokens, prior_record.output_tokens, prior_record.cost_micro_usd, prior_record.tier, NULL::text, NULL::timestamptz,
                COALESCE(prior_record.charges, jsonb_build_array(jsonb_build_object(
                    'level', 'subject', 'owner', prior_record.subject_id, 'metric', prior_record.operation_class,
                    'windowStart', prior_record.window_start, 'windowEnd', prior_record.window_end,
                    'used', prior_record.quantity, 'softLimit', prior_record.soft_limit, 'hardLimit', prior_record.hard_limit,
                    'overQuota', prior_record.over_quota, 'fallbackClass', prior_record.fallback_class,
                    'before', prior_record.used_before)));
            RETURN;
        END IF;
    ELSE
        SELECT * INTO prior_hold FROM reservations r
         WHERE r.tenant_id = p_tenant_id AND r.idempotency_key = p_idempotency_key;
        IF FOUND THEN
            RETURN QUERY SELECT 'existing'::tq_charge_outcome::text, prior_hold.id, prior_hold.subject_id,
                prior_hold.operation_class, prior_hold.quantity, false, prior_hold.model, prior_hold.input_tokens,
                prior_hold.output_tokens, prior_hold.cost_micro_usd, prior_hold.tier, prior_hold.status, prior_hold.expires_at, prior_hold.holds;
            RETURN;
        END IF;
    END IF;

    -- Shared with every other consume of this tenant, exclusive for a tier change: a tier change
    -- waits for charges in flight and re-counts windows from a complete set of usage records.
    PERFORM pg_advisory_xact_lock_shared(tq_tenant_lock_key(p_tenant_id));
    SELECT t.version INTO current_version FROM tenants t WHERE t.id = p_tenant_id;
    IF current_version IS DISTINCT FROM p_tenant_version THEN
        RETURN QUERY SELECT 'stale_tenant'::tq_charge_outcome::text, NULL::text, NULL::text, NULL::text, NULL::bigint,
            NULL::boolean, NULL::text, NULL::bigint, NULL::bigint, NULL::bigint, NULL::text, NULL::text, NULL::timestamptz, NULL::jsonb;
        RETURN;
    END IF;

    SELECT * INTO result FROM tq_apply_lines(p_tenant_id, p_lines);
    SELECT jsonb_agg(l.v || jsonb_build_object('before', result.counted[l.ord])
                         || CASE WHEN l.v ? 'burst' THEN jsonb_build_object('burstBefore', result.burst_used[l.ord]) ELSE '{}'::jsonb END
                     ORDER BY l.ord) INTO stored
      FROM jsonb_array_elements(p_lines) WITH ORDINALITY AS l (v, ord);
    SELECT v INTO subject_line FROM jsonb_array_elements(stored) AS v WHERE v->>'level' = 'subject';

    IF p_mode = 'consume' THEN
        INSERT INTO usage_records (tenant_id, idempotency_key, subject_id, operation_class, quantity, recorded,
            used_before, tier, matrix_version, soft_limit, hard_limit, over_quota, fallback_class,
            window_start, window_end, created_at, department_id, model, input_tokens, output_tokens, cost_micro_usd, charges)
        VALUES (p_tenant_id, p_idempotency_key, p_subject_id, p_operation_class, p_quantity, result.applied,
            (subject_line->>'before')::bigint, p_tier, p_matrix_version, (subject_line->>'softLimit')::bigint,
            (subject_line->>'hardLimit')::bigint, subject_line->>'overQuota', subject_line->>'fallbackClass',
            (subject_line->>'windowStart')::timestamptz, (subject_line->>'windowEnd')::timestamptz, p_now,
            p_department_id, p_model, p_input_tokens, p_output_tokens, p_cost_micro_usd, stored)
        RETURNING usage_records.id INTO new_record_id;

        billable_part := tq_overage_billable(subject_line->>'overQuota', (subject_line->>'hardLimit')::bigint,
            (subject_line->>'before')::bigint, p_quantity, result.applied);
        IF billable_part > 0 THEN
            INSERT INTO billing_outbox (usage_record_id, tenant_id, operation_class, quantity, occurred_at, trace_parent)
            VALUES (new_record_id, p_tenant_id, p_operation_class, billable_part, p_now, p_trace_parent);
        END IF;

        RETURN QUERY SELECT (CASE WHEN result.applied THEN 'recorded' ELSE 'denied' END)::tq_charge_outcome::text,
            new_record_id::text, p_subject_id, p_operation_class, p_quantity, result.applied, p_model, p_input_tokens,
            p_output_tokens, p_cost_micro_usd, p_tier, NULL::text, NULL::timestamptz, stored;
    ELSE
        new_id := 'res_' || replace(gen_random_uuid()::text, '-', '');
        INSERT INTO reservations (tenant_id, id, idempotency_key, subject_id, operation_class, quantity, department_id,
            model, input_tokens, output_tokens, cost_micro_usd, tier, status, holds, created_at, expires_at)
        VALUES (p_tenant_id, new_id, p_idempotency_key, p_subject_id, p_operation_class, p_quantity, p_department_id,
            p_model, p_input_tokens, p_output_tokens, p_cost_micro_usd, p_tier, CASE WHEN result.applied THEN 'held' ELSE 'denied' END,
            stored, p_now, p_expires_at);

        RETURN QUERY SELECT (CASE WHEN result.applied THEN 'held' ELSE 'denied' END)::tq_charge_outcome::text,
            new_id, p_subject_id, p_operation_class, p_quantity, false, p_model, p_input_tokens, p_output_tokens,
            p_cost_micro_usd, p_tier, CASE WHEN result.applied THEN 'held' ELSE 'denied' END, p_expires_at, stored;
    END IF;
END
$$;
