-- Reconciliation reads the outbox by day (occurred_at) for every run; without this index each run
-- scans every billable usage record ever written.
CREATE INDEX billing_outbox_occurred_at ON billing_outbox (occurred_at);
