-- Billing (docs/decisions/0007): what the API and the worker both read.

-- A tenant's Stripe customer, created on first need. The primary key makes "exactly once" hold in
-- our database when two admins start a checkout at once; the Stripe side is kept to one customer by
-- an Idempotency-Key derived from the tenant id.
CREATE TABLE billing_customers (
    tenant_id           text        PRIMARY KEY REFERENCES tenants (id),
    stripe_customer_id  text        NOT NULL UNIQUE,
    created_at          timestamptz NOT NULL
);

-- The Stripe objects the catalogue sync made for the matrix, one row per kind and key:
-- 'product' and 'price' per paid tier (key = tier), 'meter' and 'metered_price' per operation
-- class that has overage in any tier (key = class). event_name is the meter's, for meter rows.
CREATE TABLE stripe_catalog (
    kind        text        NOT NULL CHECK (kind IN ('product', 'price', 'meter', 'metered_price')),
    key         text        NOT NULL,
    stripe_id   text        NOT NULL,
    event_name  text,
    updated_at  timestamptz NOT NULL,
    PRIMARY KEY (kind, key)
);
