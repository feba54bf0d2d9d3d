-- The audit log: who changed what of a tenant's plan and access, when, from what to what. Append-only:
-- Functions/tq_audit_log_append_only.sql makes the database refuse UPDATE, DELETE and TRUNCATE on it.
CREATE TABLE audit_log (
    id         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id  text        NOT NULL REFERENCES tenants (id),
    kind       text        NOT NULL,   -- tier, client, allowed_origins; budgets, overrides and departments to come
    action     text        NOT NULL,   -- changed, created, revoked
    target     text,                   -- what it is about: a client id, …; null when the tenant itself
    actor      text        NOT NULL,   -- the caller's client id, or stripe:<event id>, demo, …
    at         timestamptz NOT NULL,
    before     jsonb,
    after      jsonb
);
CREATE INDEX audit_log_by_tenant ON audit_log (tenant_id, id);
