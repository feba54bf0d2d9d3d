-- What tq_consume can answer, as a type: the set is defined here once for SQL and once in C#
-- (ConsumeOutcome), and a test compares the two. A new outcome is a new versioned migration
-- (ALTER TYPE … ADD VALUE) plus the function file that starts answering it.
CREATE TYPE tq_consume_outcome AS ENUM ('recorded', 'denied', 'existing', 'stale_tenant');
