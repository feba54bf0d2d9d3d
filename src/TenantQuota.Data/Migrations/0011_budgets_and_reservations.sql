-- Enterprise budgets and reservations (docs/decisions/0013-budgets-and-reservations.md).
-- A tenant budget, departments (each with an optional budget and a priority) and subjects placed in
-- departments all change decisions, so every change to them bumps tenants.version like a tier change:
-- each API process reloads the tenant from its next request.

-- The tenant-wide budget, in the shape of the API's body (limit, unit, period, overQuota, …); null: none.
ALTER TABLE tenants ADD COLUMN budget jsonb;

CREATE TABLE departments (
    tenant_id   text        NOT NULL REFERENCES tenants (id),
    id          text        NOT NULL,
    name        text        NOT NULL,
    priority    text        NOT NULL CHECK (priority IN ('high', 'normal', 'low')),
    budget      jsonb,                       -- null: the department only groups people
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id)
);

-- A subject the tenant admin has said something about: its department and its own cell overrides.
-- Subjects nobody placed have no row; their usage lives in quota_counters as before. A move keeps the
-- subject's counters (they are keyed by subject, not department); what a department spent stays spent.
CREATE TABLE subjects (
    tenant_id      text        NOT NULL REFERENCES tenants (id),
    subject_id     text        NOT NULL,
    department_id  text,
    overrides      jsonb       NOT NULL DEFAULT '{}',
    updated_at     timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, subject_id),
    FOREIGN KEY (tenant_id, department_id) REFERENCES departments (tenant_id, id)
);
CREATE INDEX subjects_by_department ON subjects (tenant_id, department_id);

-- What a usage record charged besides the subject's cell. charges: one entry per level (subject,
-- department, tenant) with its counter key, the amount, what the counter held before and the limit that
-- applied, so a replay answers exactly what the first request was told and chargeback can add it up.
-- Records made before this migration have no charges; their subject columns say everything.
ALTER TABLE usage_records
    ADD COLUMN department_id   text,
    ADD COLUMN model           text,
    ADD COLUMN input_tokens    bigint,
    ADD COLUMN output_tokens   bigint,
    ADD COLUMN cost_micro_usd  bigint,
    ADD COLUMN reservation_id  text,
    ADD COLUMN charges         jsonb;

-- Reservations: an estimate held against every level (quota_counters.reserved) until it is committed,
-- released or expired. holds: the lines held, in the shape of usage_records.charges. A denied reserve
-- is kept too (status 'denied'), so that a replay of its idempotency key answers the same denial.
CREATE TABLE reservations (
    tenant_id          text        NOT NULL REFERENCES tenants (id),
    id                 text        NOT NULL,
    idempotency_key    text        NOT NULL,
    subject_id         text        NOT NULL,
    operation_class    text        NOT NULL,
    quantity           bigint      NOT NULL CHECK (quantity > 0),
    department_id      text,
    model              text,
    input_tokens       bigint,
    output_tokens      bigint,
    cost_micro_usd     bigint,
    tier               text        NOT NULL,
    status             text        NOT NULL CHECK (status IN ('held', 'denied', 'committed', 'released', 'expired')),
    holds              jsonb       NOT NULL,
    created_at         timestamptz NOT NULL,
    expires_at         timestamptz NOT NULL,
    settled_at         timestamptz,
    usage_record_id    bigint,
    PRIMARY KEY (tenant_id, id),
    CONSTRAINT reservations_idempotency_key UNIQUE (tenant_id, idempotency_key)
);
-- What the expiry sweep reads: the held reservations by expiry. Small, because it holds only open ones.
CREATE INDEX reservations_due ON reservations (expires_at) WHERE status = 'held';

-- What tq_charge, tq_commit and tq_release answer; see each function. Defined here once for SQL and once
-- in C# (LedgerProtocol), compared by a test.
CREATE TYPE tq_charge_outcome AS ENUM ('recorded', 'denied', 'held', 'existing', 'stale_tenant');
CREATE TYPE tq_settle_outcome AS ENUM ('committed', 'released', 'already_committed', 'already_released', 'expired', 'not_found');
