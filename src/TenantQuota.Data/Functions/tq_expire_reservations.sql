-- version: 2
-- Frees the holds of up to p_limit reservations whose time ran out, whatever tenant they belong to, and
-- answers how many. Every API process sweeps on a timer (ReservationSweeper); SKIP LOCKED lets them
-- share the work, and a reservation being committed or released right now is left to that request.
-- Lock order as tq_settle: reservation rows, then the tenants' shared advisory locks (all of them, in
-- order), then each tenant's counters in one tq_apply_lines call (its global order, across reservations).
CREATE OR REPLACE FUNCTION tq_expire_reservations(p_now timestamptz, p_limit integer)
RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    due_tenants  text[];
    due_ids      text[];
    tenant       text;
    frees        jsonb;
    expired      integer := 0;
BEGIN
    WITH due AS (
        SELECT r.tenant_id, r.id FROM reservations r
         WHERE r.status = 'held' AND r.expires_at <= p_now
         ORDER BY r.expires_at LIMIT p_limit
           FOR UPDATE SKIP LOCKED)
    SELECT array_agg(due.tenant_id), array_agg(due.id) INTO due_tenants, due_ids FROM due;
    IF due_ids IS NULL THEN RETURN 0; END IF;

    FOR tenant IN SELECT DISTINCT t FROM unnest(due_tenants) AS t ORDER BY 1 LOOP
        PERFORM pg_advisory_xact_lock_shared(tq_tenant_lock_key(tenant));
    END LOOP;
    FOR tenant IN SELECT DISTINCT t FROM unnest(due_tenants) AS t ORDER BY 1 LOOP
        SELECT jsonb_agg(h || jsonb_build_object('used', 0, 'reserved', -(h->>'reserved')::bigint, 'ceiling', NULL))
          INTO frees
          FROM unnest(due_tenants, due_ids) AS d (tenant_id, id)
          JOIN reservations r ON r.tenant_id = d.tenant_id AND r.id = d.id
         CROSS JOIN jsonb_array_elements(r.holds) AS h
         WHERE d.tenant_id = tenant;
        IF NOT (SELECT applied FROM tq_apply_lines(tenant, frees)) THEN
            RAISE EXCEPTION 'freeing expired holds of tenant % was refused', tenant;
        END IF;
    END LOOP;

    UPDATE reservations r SET status = 'expired', settled_at = p_now
      FROM unnest(due_tenants, due_ids) AS d (tenant_id, id)
     WHERE r.tenant_id = d.tenant_id AND r.id = d.id;
    GET DIAGNOSTICS expired = ROW_COUNT;
    RETURN expired;
END
$$;
