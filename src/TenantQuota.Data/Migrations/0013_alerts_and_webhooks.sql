-- Governance, part 1 (issue 10): threshold alerts, the tenant's events, and their delivery to the tenant's
-- webhook endpoints. docs/decisions/0019-alerts-and-webhooks.md

-- Where a tenant wants its events: events holds patterns ("alert.*", "alert.recovered", "report.usage").
-- secret signs each delivery (Tq-Signature); it is answered once, at creation. A deleted endpoint keeps its
-- row, so its deliveries' history still names it, and gets nothing new.
CREATE TABLE webhook_endpoints (
    tenant_id   text        NOT NULL REFERENCES tenants (id),
    id          text        NOT NULL,
    url         text        NOT NULL,
    events      text[]      NOT NULL,
    secret      text        NOT NULL,
    created_at  timestamptz NOT NULL,
    deleted_at  timestamptz,
    PRIMARY KEY (tenant_id, id)
);

-- The tenant's events (alerts, reports), as GET /v1/tenant/alerts lists them and webhooks carry them:
-- { id, type, createdAt, tenantId, data }. published_at: when the worker handed it to RabbitMQ (outbox).
CREATE TABLE tenant_events (
    tenant_id     text        NOT NULL REFERENCES tenants (id),
    id            text        NOT NULL,
    type          text        NOT NULL,
    created_at    timestamptz NOT NULL,
    data          jsonb       NOT NULL,
    published_at  timestamptz,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX tenant_events_by_time ON tenant_events (tenant_id, created_at DESC, id DESC);
CREATE INDEX tenant_events_unpublished ON tenant_events (created_at) WHERE published_at IS NULL;

-- A threshold of a budget (level, owner, metric) is open from the evaluation that saw usage reach it until
-- one that sees usage back under it (a raised limit, a new period). At most one is open per threshold, so a
-- threshold raises one alert per period unless it recovered in between; the unique index makes that hold
-- when several workers evaluate at once.
CREATE TABLE alert_states (
    tenant_id           text        NOT NULL REFERENCES tenants (id),
    level               text        NOT NULL CHECK (level IN ('tenant', 'department', 'subject')),
    owner_id            text        NOT NULL,
    metric              text        NOT NULL,
    threshold           numeric     NOT NULL,
    window_start        timestamptz NOT NULL,
    raised_event_id     text        NOT NULL,
    raised_at           timestamptz NOT NULL,
    recovered_event_id  text,
    recovered_at        timestamptz
);
CREATE UNIQUE INDEX alert_states_open ON alert_states (tenant_id, level, owner_id, metric, threshold) WHERE recovered_at IS NULL;

-- One row per (event, endpoint) to deliver: attempted until an answer in 2xx (delivered_at) or until the
-- retry period is over (gave_up_at). The worker claims due rows with FOR UPDATE SKIP LOCKED.
CREATE TABLE webhook_deliveries (
    tenant_id        text        NOT NULL,
    event_id         text        NOT NULL,
    endpoint_id      text        NOT NULL,
    created_at       timestamptz NOT NULL,
    attempts         integer     NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL,
    last_status      integer,
    last_error       text,
    delivered_at     timestamptz,
    gave_up_at       timestamptz,
    PRIMARY KEY (tenant_id, event_id, endpoint_id),
    FOREIGN KEY (tenant_id, event_id) REFERENCES tenant_events (tenant_id, id),
    FOREIGN KEY (tenant_id, endpoint_id) REFERENCES webhook_endpoints (tenant_id, id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE delivered_at IS NULL AND gave_up_at IS NULL;
