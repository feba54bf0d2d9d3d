-- The end-user surface: where a tenant's front end may call us from (CORS), the short-lived view
-- tokens its meter reads usage with, and what end users did with the copy they saw.

-- Origins (scheme://host[:port]) whose pages may read usage with this tenant's view tokens.
ALTER TABLE tenants ADD COLUMN allowed_origins text[] NOT NULL DEFAULT '{}';

-- A view token reads one subject's usage until it expires (at most 15 minutes). Only its SHA-256 is
-- kept: a leaked table lets no one read anything.
CREATE TABLE view_tokens (
    token_hash   bytea       PRIMARY KEY,
    tenant_id    text        NOT NULL REFERENCES tenants (id),
    subject_id   text        NOT NULL,
    created_at   timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL
);
CREATE INDEX view_tokens_expires_at ON view_tokens (expires_at);

-- What end users did with a message (the meter or the product reports it). Nudges shown and soft and
-- hard limit hits are not stored again: the usage records say them (each keeps its cell and count).
CREATE TABLE ux_events (
    id               bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id        text        NOT NULL REFERENCES tenants (id),
    subject_id       text        NOT NULL,
    operation_class  text        NOT NULL,
    type             text        NOT NULL CHECK (type IN ('banner_shown', 'banner_dismissed', 'upgrade_clicked')),
    occurred_at      timestamptz NOT NULL
);
CREATE INDEX ux_events_by_tenant_and_time ON ux_events (tenant_id, occurred_at);

-- ux metrics read a tenant's usage records through the primary key (tenant_id, id) and filter by time:
-- no index by time, which every consume would pay for.
