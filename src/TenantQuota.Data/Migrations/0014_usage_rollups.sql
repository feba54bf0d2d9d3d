-- Usage analytics (issue 10): the usage records added up per UTC hour and per UTC day, by class, department,
-- person and model, and per hour without the person (what most charts group by, a few thousand rows a month even
-- for a thousand people), so GET /v1/tenant/usage reads rollups instead of every record. The worker keeps
-- them (Worker/Analytics/UsageRollup.cs): it recomputes whole hours from the records and writes them with
-- upserts, so a rerun writes the same numbers. '' stands for no department and no model (a key column cannot
-- be null). docs/decisions/0020-usage-rollups.md

CREATE TABLE usage_hourly (
    tenant_id        text        NOT NULL REFERENCES tenants (id),
    hour             timestamptz NOT NULL,
    operation_class  text        NOT NULL,
    department_id    text        NOT NULL,
    subject_id       text        NOT NULL,
    model            text        NOT NULL,
    quantity         bigint      NOT NULL,
    input_tokens     bigint      NOT NULL,
    output_tokens    bigint      NOT NULL,
    cost_micro_usd   bigint      NOT NULL,
    records          bigint      NOT NULL,
    PRIMARY KEY (tenant_id, hour, operation_class, department_id, subject_id, model)
);

CREATE TABLE usage_daily (
    tenant_id        text        NOT NULL REFERENCES tenants (id),
    day              timestamptz NOT NULL,
    operation_class  text        NOT NULL,
    department_id    text        NOT NULL,
    subject_id       text        NOT NULL,
    model            text        NOT NULL,
    quantity         bigint      NOT NULL,
    input_tokens     bigint      NOT NULL,
    output_tokens    bigint      NOT NULL,
    cost_micro_usd   bigint      NOT NULL,
    records          bigint      NOT NULL,
    PRIMARY KEY (tenant_id, day, operation_class, department_id, subject_id, model)
);

CREATE TABLE usage_hourly_groups (
    tenant_id        text        NOT NULL REFERENCES tenants (id),
    hour             timestamptz NOT NULL,
    operation_class  text        NOT NULL,
    department_id    text        NOT NULL,
    model            text        NOT NULL,
    quantity         bigint      NOT NULL,
    input_tokens     bigint      NOT NULL,
    output_tokens    bigint      NOT NULL,
    cost_micro_usd   bigint      NOT NULL,
    records          bigint      NOT NULL,
    PRIMARY KEY (tenant_id, hour, operation_class, department_id, model)
);

-- Per tenant, the start of the hour from which the next rollup recomputes (less an hour of lookback for a
-- record whose transaction committed late): everything before it is in the rollups.
CREATE TABLE usage_rollup_marks (
    tenant_id      text        PRIMARY KEY REFERENCES tenants (id),
    rolled_to      timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL
);
