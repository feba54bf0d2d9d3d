-- version: 2
-- The consume transaction, in one round trip: replay check, tenant version check, the
-- conditional counter change and the usage record. The caller passes the ceiling that the
-- domain rules derive from the cell (null = nothing is refused); the function only enforces it
-- atomically and reports what it found, the domain turns that into the decision.
-- Outcomes (tq_consume_outcome): 'existing' (the key was used before: its record is returned),
-- 'stale_tenant' (the caller's cached tenant is out of date: reload and call again),
-- 'recorded', 'denied'.
-- A recorded consume with a billable part (tq_overage_billable: past the hard limit of an overage
-- cell) also writes its billing_outbox row here, in the same transaction as the usage record: no
-- overage without its message, no message without its record (docs/decisions/0007). The worker's
-- dispatcher polls the outbox; no NOTIFY here, because PostgreSQL serialises the commits of
-- notifying transactions (measured: 13.7k → 2.6k commits/s on 8 connections).
-- Two requests racing with one new key: the loser fails on usage_records_idempotency_key and
-- its whole transaction (counter change included) rolls back; the caller retries and finds the
-- winner's record.
-- Its parameters and result columns are a contract with every API process that may still be
-- running during a rolling deploy: CREATE OR REPLACE keeps them (PostgreSQL refuses a change), and
-- a change to them is a new function (docs/decisions/0004). Outcomes are produced through the
-- tq_consume_outcome type, so a misspelt one fails here, and answered as text.
CREATE OR REPLACE FUNCTION tq_consume(
    p_tenant_id text, p_tenant_version bigint, p_idempotency_key text,
    p_subject_id text, p_operation_class text, p_quantity bigint, p_ceiling bigint,
    p_tier text, p_matrix_version text, p_soft_limit bigint, p_hard_limit bigint,
    p_over_quota text, p_fallback_class text,
    p_window_start timestamptz, p_window_end timestamptz, p_now timestamptz)
RETURNS TABLE (
    outcome text, record_id bigint, subject_id text, operation_class text, quantity bigint,
    recorded boolean, used_before bigint, tier text, matrix_version text,
    soft_limit bigint, hard_limit bigint, over_quota text, fallback_class text,
    window_start timestamptz, window_end timestamptz)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    prior           usage_records;
    current_version bigint;
    used_after      bigint;
    counted         bigint;
    is_recorded     boolean;
    new_id          bigint;
    billable_part   bigint;
BEGIN
    SELECT * INTO prior FROM usage_records r
     WHERE r.tenant_id = p_tenant_id AND r.idempotency_key = p_idempotency_key;
    IF FOUND THEN
        RETURN QUERY SELECT 'existing'::tq_consume_outcome::text, prior.id, prior.subject_id, prior.operation_class,
            prior.quantity, prior.recorded, prior.used_before, prior.tier, prior.matrix_version, prior.soft_limit,
            prior.hard_limit, prior.over_quota, prior.fallback_class, prior.window_start, prior.window_end;
        RETURN;
    END IF;

    -- Shared with every other consume of this tenant, exclusive for a tier change: a tier change
    -- waits for consumes in flight and re-counts windows from a complete set of usage records.
    PERFORM pg_advisory_xact_lock_shared(tq_tenant_lock_key(p_tenant_id));
    SELECT t.version INTO current_version FROM tenants t WHERE t.id = p_tenant_id;
    IF current_version IS DISTINCT FROM p_tenant_version THEN
        RETURN QUERY SELECT 'stale_tenant'::tq_consume_outcome::text, NULL::bigint, NULL::text, NULL::text, NULL::bigint,
            NULL::boolean, NULL::bigint, NULL::text, NULL::text, NULL::bigint, NULL::bigint, NULL::text, NULL::text,
            NULL::timestamptz, NULL::timestamptz;
        RETURN;
    END IF;

    -- ON CONFLICT locks the counter row even when its WHERE refuses the change, so concurrent
    -- consumes of one counter queue here and each sees the one before it.
    INSERT INTO quota_counters AS c (tenant_id, level, owner_id, metric, window_start, window_end, used)
    SELECT p_tenant_id, 'subject', p_subject_id, p_operation_class, p_window_start, p_window_end, p_quantity
     WHERE p_ceiling IS NULL OR p_quantity <= p_ceiling
    ON CONFLICT ON CONSTRAINT quota_counters_pkey DO UPDATE
       SET used = c.used + EXCLUDED.used
     WHERE p_ceiling IS NULL OR c.used + c.reserved + EXCLUDED.used <= p_ceiling
    RETURNING c.used + c.reserved INTO used_after;

    IF used_after IS NULL THEN
        SELECT c.used + c.reserved INTO counted FROM quota_counters c
         WHERE c.tenant_id = p_tenant_id AND c.level = 'subject' AND c.owner_id = p_subject_id
           AND c.metric = p_operation_class AND c.window_start = p_window_start;
        counted := COALESCE(counted, 0);
        is_recorded := false;
    ELSE
        counted := used_after - p_quantity;
        is_recorded := true;
    END IF;

    INSERT INTO usage_records (tenant_id, idempotency_key, subject_id, operation_class, quantity, recorded,
        used_before, tier, matrix_version, soft_limit, hard_limit, over_quota, fallback_class,
        window_start, window_end, created_at)
    VALUES (p_tenant_id, p_idempotency_key, p_subject_id, p_operation_class, p_quantity, is_recorded,
        counted, p_tier, p_matrix_version, p_soft_limit, p_hard_limit, p_over_quota, p_fallback_class,
        p_window_start, p_window_end, p_now)
    RETURNING id INTO new_id;

    billable_part := tq_overage_billable(p_over_quota, p_hard_limit, counted, p_quantity, is_recorded);
    IF billable_part > 0 THEN
        INSERT INTO billing_outbox (usage_record_id, tenant_id, operation_class, quantity, occurred_at)
        VALUES (new_id, p_tenant_id, p_operation_class, billable_part, p_now);
    END IF;

    RETURN QUERY SELECT (CASE WHEN is_recorded THEN 'recorded' ELSE 'denied' END)::tq_consume_outcome::text, new_id,
        p_subject_id, p_operation_class, p_quantity, is_recorded, counted, p_tier, p_matrix_version, p_soft_limit,
        p_hard_limit, p_over_quota, p_fallback_class, p_window_start, p_window_end;
END
$$;
