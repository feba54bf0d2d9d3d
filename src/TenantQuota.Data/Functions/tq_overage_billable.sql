-- version: 1
-- The billable part of a consume: what lies past the hard limit of an overage cell, for a consume
-- that was recorded; 0 otherwise. The SQL twin of QuotaRules.Decide(…).BillableQuantity
-- (TenantQuota.Domain/QuotaDecision.cs), which stays the rule: tq_consume needs the number inside
-- its transaction, where used_before is first known, to write the billing outbox row.
-- OverageBillingAgreementTests compares the two over a grid of cells and usages.
CREATE OR REPLACE FUNCTION tq_overage_billable(
    p_over_quota text, p_hard_limit bigint, p_used_before bigint, p_quantity bigint, p_recorded boolean)
RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT CASE WHEN p_recorded AND p_over_quota = 'overage'
                THEN GREATEST(0, p_used_before + p_quantity - GREATEST(p_hard_limit, p_used_before))
                ELSE 0 END
$$;
