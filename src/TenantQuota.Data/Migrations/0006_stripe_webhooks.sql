-- Billing webhooks (docs/decisions/0009). Independent of 0005, which may be applied after it.

-- Every Stripe event we accepted (signature verified), stored before anything acts on it. The id is
-- Stripe's event id, so a redelivery finds its row and changes nothing. created is the event's own
-- time (Stripe's `created`), received_at ours; processed_at is set in the transaction that acted on
-- the event (or decided there was nothing to do), and outcome says which, for people reading it.
-- api_version is recorded as sent: events of another version than the pinned one are kept and
-- handled defensively, never dropped.
CREATE TABLE stripe_events (
    id            text        PRIMARY KEY,
    type          text        NOT NULL,
    api_version   text,
    created       timestamptz NOT NULL,
    payload       jsonb       NOT NULL,
    received_at   timestamptz NOT NULL,
    processed_at  timestamptz,
    outcome       text
);

-- Events stored but not yet acted on (a failure between storing and acting): retried by the next
-- delivery of the same event or by the pending sweep.
CREATE INDEX stripe_events_pending ON stripe_events (received_at) WHERE processed_at IS NULL;

-- A tenant's current subscription as the webhooks told it, one row per tenant. as_of is the time of
-- the newest event applied (Stripe's event `created`): an event older than it is stale and changes
-- nothing, so a late customer.subscription.updated never rolls a tier back. tier is the paid tier
-- the subscription sells; the tenant's tier follows from status (active/trialing: that tier;
-- past_due: that tier until past_due_since + the grace period; anything else: the free tier).
CREATE TABLE billing_subscriptions (
    tenant_id               text        PRIMARY KEY REFERENCES tenants (id),
    stripe_subscription_id  text,
    stripe_customer_id      text,
    status                  text        NOT NULL,
    tier                    text        NOT NULL,
    as_of                   timestamptz NOT NULL,
    past_due_since          timestamptz,
    last_event_id           text        NOT NULL,
    updated_at              timestamptz NOT NULL,
    CHECK ((status = 'past_due') = (past_due_since IS NOT NULL))
);

-- The grace sweep looks only at subscriptions that are past due.
CREATE INDEX billing_subscriptions_past_due ON billing_subscriptions (past_due_since) WHERE status = 'past_due';
