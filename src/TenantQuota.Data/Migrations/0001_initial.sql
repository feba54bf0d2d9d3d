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

-- The stored functions (tq_consume, …) live in ../Functions, one file each, re-applied by the
-- migrator whenever a file changes (docs/decisions/0004-sql-migrations.md).
