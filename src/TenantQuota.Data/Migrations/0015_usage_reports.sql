-- Scheduled usage reports (issue 10): a tenant admin subscribes the tenant to a weekly report, which the worker
-- sends once per week as a report.usage event to the webhook endpoints subscribed to it.
-- departments: the departments the report covers (null: all of them).
CREATE TABLE report_subscriptions (
    tenant_id    text        PRIMARY KEY REFERENCES tenants (id),
    period       text        NOT NULL CHECK (period = 'weekly'),
    departments  text[],
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL
);

-- One row per report sent: the primary key is what makes a week's report go once, whichever worker gets there.
CREATE TABLE reports_sent (
    tenant_id     text        NOT NULL REFERENCES tenants (id),
    period_start  timestamptz NOT NULL,
    event_id      text        NOT NULL,
    sent_at       timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, period_start)
);
