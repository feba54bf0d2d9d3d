-- The overage pipeline (docs/decisions/0007): usage record → outbox row (same transaction, written
-- by tq_consume) → the worker's dispatcher publishes OverageRecorded → its consumer sends one Stripe
-- meter event per usage record and records it here.

-- One row per billable consume: the quantity past the hard limit of an overage cell
-- (tq_overage_billable, which agrees with QuotaRules.Decide). dispatched_at stays null until the
-- message was published and confirmed by RabbitMQ; a held row that is released goes back to null.
CREATE TABLE billing_outbox (
    usage_record_id  bigint      PRIMARY KEY,
    tenant_id        text        NOT NULL,
    operation_class  text        NOT NULL,
    quantity         bigint      NOT NULL CHECK (quantity > 0),
    occurred_at      timestamptz NOT NULL,
    dispatched_at    timestamptz,
    FOREIGN KEY (tenant_id, usage_record_id) REFERENCES usage_records (tenant_id, id)
);

-- What the dispatcher reads: pending rows in usage-record order. Small, because it holds only
-- rows not yet published.
CREATE INDEX billing_outbox_pending ON billing_outbox (usage_record_id) WHERE dispatched_at IS NULL;

-- The consumer's processed table: one row per meter event sent to Stripe, keyed by the usage
-- record (which is also the meter event's identifier and the base of its Idempotency-Key).
-- A delivery of a record already here is skipped.
CREATE TABLE billing_meter_events (
    usage_record_id     bigint      PRIMARY KEY,
    tenant_id           text        NOT NULL,
    stripe_customer_id  text        NOT NULL,
    event_name          text        NOT NULL,
    quantity            bigint      NOT NULL CHECK (quantity > 0),
    occurred_at         timestamptz NOT NULL,
    sent_at             timestamptz NOT NULL,
    FOREIGN KEY (tenant_id, usage_record_id) REFERENCES usage_records (tenant_id, id)
);

-- Overage that could not be sent yet, and is never dropped: the tenant has no Stripe customer
-- (billing_customers) or the class no meter (stripe_catalog), or this worker has billing switched
-- off. The worker's release sweep deletes a hold once both exist and sets the outbox row pending
-- again, so the dispatcher publishes it once more and the consumer sends it.
CREATE TABLE billing_overage_holds (
    usage_record_id  bigint      PRIMARY KEY REFERENCES billing_outbox (usage_record_id),
    tenant_id        text        NOT NULL,
    operation_class  text        NOT NULL,
    reason           text        NOT NULL CHECK (reason IN ('no_customer', 'no_meter', 'billing_disabled')),
    held_at          timestamptz NOT NULL
);

CREATE INDEX billing_overage_holds_tenant ON billing_overage_holds (tenant_id);
