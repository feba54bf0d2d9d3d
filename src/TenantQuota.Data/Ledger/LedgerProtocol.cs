namespace TenantQuota.Data;

/// <summary>What tq_consume can answer (the SQL type tq_consume_outcome).</summary>
public enum ConsumeOutcome { Recorded, Denied, Existing, StaleTenant }

/// <summary>
/// The names C# shares with the SQL in Migrations/ and Functions/. Each is defined once on each
/// side; LedgerProtocolTests compares them with what the migrated database holds.
/// </summary>
public static class LedgerProtocol
{
    /// <summary>The unique key that makes a consume idempotent; a race on one new key fails on it.</summary>
    public const string IdempotencyKeyConstraint = "usage_records_idempotency_key";

    /// <summary>The enum type of tq_consume's <c>outcome</c> column.</summary>
    public const string ConsumeOutcomeType = "tq_consume_outcome";

    /// <summary>The counter level of a person's matrix cell.</summary>
    public const string SubjectLevel = "subject";

    public static readonly IReadOnlyDictionary<string, ConsumeOutcome> ConsumeOutcomes = new Dictionary<string, ConsumeOutcome>
    {
        ["recorded"] = ConsumeOutcome.Recorded,
        ["denied"] = ConsumeOutcome.Denied,
        ["existing"] = ConsumeOutcome.Existing,
        ["stale_tenant"] = ConsumeOutcome.StaleTenant,
    };
}
