-- A tier change keeps the usage already counted in the current window even when the new tier
-- resets a class on another cadence (free deep_research weekly, pro monthly): the change re-counts
-- the new window's counters from usage records, under an exclusive per-tenant advisory lock that
-- every consume holds in shared mode (see TenantTierChange in the Data project).

-- Usage records by time within a tenant: the re-count, and later chargeback and forecasts.
CREATE INDEX usage_records_tenant_time ON usage_records (tenant_id, created_at);

-- The shared lock itself is taken in Functions/tq_consume.sql (tq_tenant_lock_key).
