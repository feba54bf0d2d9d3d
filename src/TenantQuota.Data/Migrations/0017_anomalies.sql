-- Anomalies that act (issue 10): a tenant's spike policy, every spike the worker found, and the holds it placed
-- on people and departments until an administrator clears them. docs/decisions/0022-anomalies-that-act.md

CREATE TABLE anomaly_policies (
    tenant_id   text        PRIMARY KEY REFERENCES tenants (id),
    policy      jsonb       NOT NULL,
    updated_at  timestamptz NOT NULL
);

-- The start of the first hour the detector has not looked at yet, per tenant.
CREATE TABLE anomaly_marks (
    tenant_id     text        PRIMARY KEY REFERENCES tenants (id),
    evaluated_to  timestamptz NOT NULL
);

-- One row per owner and spiking hour: workers evaluating at once find each spike once (the primary key), and
-- only the one that inserted it acts. action: what was done (notify also for an owner already held, or
-- within a day of an administrator clearing its hold); event_id: the alert.anomaly written, if any.
CREATE TABLE anomalies (
    tenant_id   text        NOT NULL REFERENCES tenants (id),
    level       text        NOT NULL CHECK (level IN ('department', 'subject')),
    owner_id    text        NOT NULL,
    hour        timestamptz NOT NULL,
    metric      text        NOT NULL,
    observed    numeric     NOT NULL,
    expected    numeric     NOT NULL,
    threshold   numeric     NOT NULL,
    action      text        NOT NULL CHECK (action IN ('notify', 'degrade', 'block')),
    event_id    text,
    PRIMARY KEY (tenant_id, level, owner_id, hour)
);

-- A hold from its spike until an administrator clears it. The hot path reads the copy on the owner's row
-- (subjects.hold, departments.hold), which is written in the same transaction as the open row here.
CREATE TABLE anomaly_holds (
    tenant_id       text        NOT NULL REFERENCES tenants (id),
    level           text        NOT NULL CHECK (level IN ('department', 'subject')),
    owner_id        text        NOT NULL,
    action          text        NOT NULL CHECK (action IN ('degrade', 'block')),
    fallback_class  text,
    hour            timestamptz NOT NULL,
    event_id        text        NOT NULL,
    held_at         timestamptz NOT NULL,
    cleared_at      timestamptz,
    cleared_by      text
);
CREATE UNIQUE INDEX anomaly_holds_open ON anomaly_holds (tenant_id, level, owner_id) WHERE cleared_at IS NULL;
CREATE INDEX anomaly_holds_by_owner ON anomaly_holds (tenant_id, level, owner_id, cleared_at DESC);

-- { "fallbackClass": "drafts" } for degrade, {} for block; null when not held.
ALTER TABLE subjects ADD COLUMN hold jsonb;
ALTER TABLE departments ADD COLUMN hold jsonb;
