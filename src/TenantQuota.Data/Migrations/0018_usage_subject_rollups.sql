-- Per-person usage analytics (issue 10) without class, department and model: GET /v1/tenant/usage?groupBy=subject
-- read usage_daily or usage_hourly, two or more rows per person and bucket, and had to add all of them up to rank
-- the people before drawing the top ones. These hold one row per person and bucket. The worker keeps them in the
-- same recompute as the rollups of 0014 (Worker/Analytics/UsageRollup.cs), with upserts, so a rerun writes the same
-- numbers. The index by person reads the points of the top people only. docs/decisions/0020-usage-rollups.md

CREATE TABLE usage_hourly_subjects (
    tenant_id        text        NOT NULL REFERENCES tenants (id),
    hour             timestamptz NOT NULL,
    subject_id       text        NOT NULL,
    quantity         bigint      NOT NULL,
    input_tokens     bigint      NOT NULL,
    output_tokens    bigint      NOT NULL,
    cost_micro_usd   bigint      NOT NULL,
    records          bigint      NOT NULL,
    PRIMARY KEY (tenant_id, hour, subject_id)
);
CREATE INDEX usage_hourly_subjects_by_subject ON usage_hourly_subjects (tenant_id, subject_id, hour);

CREATE TABLE usage_daily_subjects (
    tenant_id        text        NOT NULL REFERENCES tenants (id),
    day              timestamptz NOT NULL,
    subject_id       text        NOT NULL,
    quantity         bigint      NOT NULL,
    input_tokens     bigint      NOT NULL,
    output_tokens    bigint      NOT NULL,
    cost_micro_usd   bigint      NOT NULL,
    records          bigint      NOT NULL,
    PRIMARY KEY (tenant_id, day, subject_id)
);
CREATE INDEX usage_daily_subjects_by_subject ON usage_daily_subjects (tenant_id, subject_id, day);

-- What is rolled up already, so the answers do not change when this migration runs.
INSERT INTO usage_hourly_subjects
SELECT tenant_id, hour, subject_id, sum(quantity), sum(input_tokens), sum(output_tokens), sum(cost_micro_usd), sum(records)
  FROM usage_hourly GROUP BY 1, 2, 3;
INSERT INTO usage_daily_subjects
SELECT tenant_id, day, subject_id, sum(quantity), sum(input_tokens), sum(output_tokens), sum(cost_micro_usd), sum(records)
  FROM usage_daily GROUP BY 1, 2, 3;
ANALYZE usage_hourly_subjects;
ANALYZE usage_daily_subjects;
