-- The W3C traceparent of the request whose consume (or commit) wrote the outbox row, so the worker publishes its
-- overage message inside that trace: one trace from the consume to the Stripe meter event (README "Observability").
-- Null when the request had no trace (rows written before this migration, or by a caller without one).
ALTER TABLE billing_outbox ADD COLUMN trace_parent text;
