-- Per-tenant matrix overrides (enterprise deals): per operation class, the cell fields that replace the
-- tier's, e.g. {"deep_research": {"hardLimit": 500, "overQuota": "overage"}}. Checked like the matrix
-- before they are stored; a change bumps tenants.version so that every process reloads the tenant.
ALTER TABLE tenants ADD COLUMN overrides jsonb NOT NULL DEFAULT '{}';
