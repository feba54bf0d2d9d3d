-- Alert thresholds on matrix cells (issue 10): per operation class, shares of each person's cell limit (their
-- tier's hard limit, with the tenant's overrides) at which the worker raises alert.threshold_crossed for that
-- person, as it does for budgets (docs/decisions/0019-alerts-and-webhooks.md).
CREATE TABLE cell_alert_thresholds (
    tenant_id        text        NOT NULL REFERENCES tenants (id),
    operation_class  text        NOT NULL,
    thresholds       numeric[]   NOT NULL,
    updated_at       timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, operation_class)
);
