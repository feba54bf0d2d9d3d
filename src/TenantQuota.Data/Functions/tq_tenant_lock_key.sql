-- version: 1
-- The advisory lock key of a tenant. Every consume holds it shared for its transaction; a tier
-- change holds it exclusively while it re-counts windows (TenantTierChange), so the re-count
-- sees every usage record. Defined once, here, for SQL and for C#.
CREATE OR REPLACE FUNCTION tq_tenant_lock_key(p_tenant_id text) RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT hashtextextended(p_tenant_id, 7451) $$;
