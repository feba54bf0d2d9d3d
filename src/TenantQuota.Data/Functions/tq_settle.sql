-- version: 3
-- Commits or releases a reservation, in one transaction.
-- p_action 'commit': frees every hold and records the actual amounts (p_amounts, one per hold in holds
--   order, computed by C# from the actual quantity and tokens) against the same counters, with no
--   ceiling: the work is done, so more than the estimate may take a counter past its limit, where it is
--   billed as overage (an overage cell) or recorded as such. The usage record is dated when the
--   reservation was made, the window it was held in; its idempotency key is 'reservation <id>', which no
--   client key can be (they hold no spaces).
-- p_action 'release': frees every hold and records nothing.
-- A held reservation past its expiry is expired here (its holds freed) whatever the action.
-- Outcomes (tq_settle_outcome): 'committed', 'released', 'already_committed' (with the record, for an
-- idempotent replay), 'already_released', 'expired', 'not_found' (no such reservation of this tenant, or a
-- denied reserve, which held nothing).
-- Lock order: the reservation row, then the tenant's shared advisory lock (as every consume; a tier
-- change re-counts from usage records under the exclusive one), then counters in tq_apply_lines' order.
-- p_trace_parent (version 3, last and optional): the committing request's W3C traceparent, kept on the outbox row.
DROP FUNCTION IF EXISTS tq_settle(text, text, text, bigint, bigint, bigint, bigint, bigint[], timestamptz);
CREATE OR REPLACE FUNCTION tq_settle(
    p_action text, p_tenant_id text, p_reservation_id text, p_quantity bigint, p_input_tokens bigint,
    p_output_tokens bigint, p_cost_micro_usd bigint, p_amounts bigint[], p_now timestamptz, p_trace_parent text DEFAULT NULL)
RETURNS TABLE (
    outcome text, id text, subject_id text, operation_class text, quantity bigint, model text,
    input_tokens bigint, output_tokens bigint, cost_micro_usd bigint, tier text, status text, expires_at timestamptz,
    charges jsonb)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    hold           reservations;
    committed      usage_records;
    frees          jsonb;
    result         record;
    stored         jsonb;
    subject_line   jsonb;
    new_record_id  bigint;
    billable_part  bigint;
    freed_now      boolean := false;
BEGIN
    SELECT * INTO hold FROM reservations r WHERE r.tenant_id = p_tenant_id AND r.id = p_reservation_id FOR UPDATE;
    IF NOT FOUND OR hold.status = 'denied' THEN
        RETURN QUERY SELECT 'not_found'::tq_settle_outcome::text, p_reservation_id, NULL::text, NULL::text, NULL::bigint,
            NULL::text, NULL::bigint, NULL::bigint, NULL::bigint, NULL::text, NULL::text, NULL::timestamptz, NULL::jsonb;
        RETURN;
    END IF;
    IF hold.status = 'committed' THEN
        SELECT * INTO committed FROM usage_records u WHERE u.tenant_id = p_tenant_id AND u.id = hold.usage_record_id;
        RETURN QUERY SELECT 'already_committed'::tq_settle_outcome::text, hold.id, hold.subject_id, hold.operation_class,
            committed.quantity, hold.model, committed.input_tokens, committed.output_tokens, committed.cost_micro_usd, hold.tier, hold.status,
            hold.expires_at, committed.charges;
        RETURN;
    END IF;

    IF hold.status = 'held' THEN
        PERFORM pg_advisory_xact_lock_shared(tq_tenant_lock_key(p_tenant_id));
        IF hold.expires_at <= p_now OR p_action = 'release' THEN
            SELECT jsonb_agg(h || jsonb_build_object('used', 0, 'reserved', -(h->>'reserved')::bigint, 'ceiling', NULL))
              INTO frees FROM jsonb_array_elements(hold.holds) AS h;
            IF NOT (SELECT applied FROM tq_apply_lines(p_tenant_id, frees)) THEN
                RAISE EXCEPTION 'freeing the holds of reservation % was refused', hold.id;
            END IF;
            hold.status := CASE WHEN hold.expires_at <= p_now THEN 'expired' ELSE 'released' END;
            freed_now := true;
            UPDATE reservations r SET status = hold.status, settled_at = p_now
             WHERE r.tenant_id = p_tenant_id AND r.id = hold.id;
        ELSE
            SELECT jsonb_agg(h.v || jsonb_build_object('used', p_amounts[h.ord], 'reserved', -(h.v->>'reserved')::bigint, 'ceiling', NULL)
                             ORDER BY h.ord)
              INTO frees FROM jsonb_array_elements(hold.holds) WITH ORDINALITY AS h (v, ord);
            SELECT * INTO result FROM tq_apply_lines(p_tenant_id, frees);
            IF NOT result.applied THEN
                RAISE EXCEPTION 'committing reservation % was refused', hold.id;
            END IF;
            -- What each counter held before, without this reservation's own hold: what the actual amount was added to.
            SELECT jsonb_agg(l.v || jsonb_build_object('used', p_amounts[l.ord], 'reserved', 0,
                                                       'before', result.counted[l.ord] - (l.v->>'reserved')::bigint) ORDER BY l.ord)
              INTO stored FROM jsonb_array_elements(hold.holds) WITH ORDINALITY AS l (v, ord);
            SELECT v INTO subject_line FROM jsonb_array_elements(stored) AS v WHERE v->>'level' = 'subject';

            INSERT INTO usage_records (tenant_id, idempotency_key, subject_id, operation_class, quantity, recorded,
                used_before, tier, matrix_version, soft_limit, hard_limit, over_quota, fallback_class,
                window_start, window_end, created_at, department_id, model, input_tokens, output_tokens, cost_micro_usd,
                reservation_id, charges)
            VALUES (p_tenant_id, 'reservation ' || hold.id, hold.subject_id, hold.operation_class, p_quantity, true,
                (subject_line->>'before')::bigint, hold.tier, COALESCE(subject_line->>'matrixVersion', ''),
                (subject_line->>'softLimit')::bigint, (subject_line->>'hardLimit')::bigint, subject_line->>'overQuota',
                subject_line->>'fallbackClass', (subject_line->>'windowStart')::timestamptz,
                (subject_line->>'windowEnd')::timestamptz, hold.created_at, hold.department_id, hold.model,
                p_input_tokens, p_output_tokens, p_cost_micro_usd, hold.id, stored)
            RETURNING usage_records.id INTO new_record_id;

            billable_part := tq_overage_billable(subject_line->>'overQuota', (subject_line->>'hardLimit')::bigint,
                (subject_line->>'before')::bigint, p_quantity, true);
            IF billable_part > 0 THEN
                INSERT INTO billing_outbox (usage_record_id, tenant_id, operation_class, quantity, occurred_at, trace_parent)
                VALUES (new_record_id, p_tenant_id, hold.operation_class, billable_part, hold.created_at, p_trace_parent);
            END IF;
            UPDATE reservations r SET status = 'committed', settled_at = p_now, usage_record_id = new_record_id
             WHERE r.tenant_id = p_tenant_id AND r.id = hold.id;
            RETURN QUERY SELECT 'committed'::tq_settle_outcome::text, hold.id, hold.subject_id, hold.operation_class,
                p_quantity, hold.model, p_input_tokens, p_output_tokens, p_cost_micro_usd, hold.tier, 'committed'::text, hold.expires_at, stored;
            RETURN;
        END IF;
    END IF;

    RETURN QUERY SELECT (CASE WHEN hold.status = 'expired' THEN 'expired'
                              WHEN freed_now THEN 'released' ELSE 'already_released' END)::tq_settle_outcome::text,
        hold.id, hold.subject_id, hold.operation_class, hold.quantity, hold.model, hold.input_tokens, hold.output_tokens,
        hold.cost_micro_usd, hold.tier, hold.status, hold.expires_at, hold.holds;
END
$$;
