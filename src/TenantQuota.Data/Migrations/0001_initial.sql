-- Tenants. `version` moves on every change that affects decisions (tier), so API processes can
-- cache a tenant and still have the database confirm, inside each hot-path statement, that the
-- cached copy is current.
CREATE TABLE tenants (
    id          text        PRIMARY KEY,
    name        text        NOT NULL,
    tier        text        NOT NULL,
    time_zone   text        NOT NULL,
    version     bigint      NOT NULL DEFAULT 1,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL
);

-- Quota counters, one row per (tenant, level, owner, metric, window). A new window is a new
-- row, so a reset needs no job and past windows stay for forecasts and chargeback.
-- level: 'subject' (a person's matrix cell); 'department' and 'tenant' budgets join later and are
-- charged in the same transaction. metric: an operation class, or a budget unit such as 'usd'
-- (money in micro-dollars, so every amount is a whole number).
-- reserved: amounts held by open reservations; they count as used for everybody else.
-- Every key starts with tenant_id so the table can later be partitioned or distributed by tenant.
CREATE TABLE quota_counters (
    tenant_id     text        NOT NULL REFERENCES tenants (id),
    level         text        NOT NULL CHECK (level IN ('subject', 'department', 'tenant')),
    owner_id      text        NOT NULL,
    metric        text        NOT NULL,
    window_start  timestamptz NOT NULL,
    window_end    timestamptz NOT NULL,
    used          bigint      NOT NULL CHECK (used >= 0),
    reserved      bigint      NOT NULL DEFAULT 0 CHECK (reserved >= 0),
    PRIMARY KEY (tenant_id, level, owner_id, metric, window_start)
) WITH (fillfactor = 70); -- free space on each page keeps counter updates HOT (no index writes)

-- Usage records: the billing source of truth. One row per consume request, written in the same
-- transaction as the counter change. `recorded` is false for a denied consume: nothing was used,
-- but the row keeps the first answer so that a replay of the idempotency key gets it again.
-- The cell that applied is copied in, so a record explains itself after the matrix changes and
-- a replay answers exactly what the first request was told.
CREATE TABLE usage_records (
    id               bigint      GENERATED ALWAYS AS IDENTITY,
    tenant_id        text        NOT NULL REFERENCES tenants (id),
    idempotency_key  text        NOT NULL,
    subject_id       text        NOT NULL,
    operation_class  text        NOT NULL,
    quantity         bigint      NOT NULL CHECK (quantity > 0),
    recorded         boolean     NOT NULL,
    used_before      bigint      NOT NULL,
    tier             text        NOT NULL,
    matrix_version   text        NOT NULL,
    soft_limit       bigint      NOT NULL,
    hard_limit       bigint      NOT NULL,
    over_quota       text        NOT NULL,
    fallback_class   text,
    window_start     timestamptz NOT NULL,
    window_end       timestamptz NOT NULL,
    created_at       timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id),
    CONSTRAINT usage_records_idempotency_key UNIQUE (tenant_id, idempotency_key)
);

-- The consume transaction, in one round trip: replay check, tenant version check, the
-- conditional counter change and the usage record. The caller passes the ceiling that the
-- domain rules derive from the cell (null = nothing is refused); the function only enforces it
-- atomically and reports what it found, the domain turns that into the decision.
-- Outcomes: 'existing' (the key was used before: its record is returned), 'stale_tenant' (the
-- caller's cached tenant is out of date: reload and call again), 'recorded', 'denied'.
-- Two requests racing with one new key: the loser fails on usage_records_idempotency_key and
-- its whole transaction (counter change included) rolls back; the caller retries and finds the
-- winner's record.
CREATE FUNCTION tq_consume(
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
    prior          usage_records;
    current_version bigint;
    used_after     bigint;
    counted        bigint;
    is_recorded    boolean;
    new_id         bigint;
BEGIN
    SELECT * INTO prior FROM usage_records r
     WHERE r.tenant_id = p_tenant_id AND r.idempotency_key = p_idempotency_key;
    IF FOUND THEN
        RETURN QUERY SELECT 'existing', prior.id, prior.subject_id, prior.operation_class, prior.quantity,
            prior.recorded, prior.used_before, prior.tier, prior.matrix_version, prior.soft_limit,
            prior.hard_limit, prior.over_quota, prior.fallback_class, prior.window_start, prior.window_end;
        RETURN;
    END IF;

    SELECT t.version INTO current_version FROM tenants t WHERE t.id = p_tenant_id;
    IF current_version IS DISTINCT FROM p_tenant_version THEN
        RETURN QUERY SELECT 'stale_tenant', NULL::bigint, NULL::text, NULL::text, NULL::bigint, NULL::boolean,
            NULL::bigint, NULL::text, NULL::text, NULL::bigint, NULL::bigint, NULL::text, NULL::text,
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

    RETURN QUERY SELECT CASE WHEN is_recorded THEN 'recorded' ELSE 'denied' END, new_id, p_subject_id,
        p_operation_class, p_quantity, is_recorded, counted, p_tier, p_matrix_version, p_soft_limit,
        p_hard_limit, p_over_quota, p_fallback_class, p_window_start, p_window_end;
END
$$;
