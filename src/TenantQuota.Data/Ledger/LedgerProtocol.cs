namespace TenantQuota.Data;

/// <summary>What tq_charge can answer (the SQL type tq_charge_outcome).</summary>
public enum ChargeOutcome { Recorded, Denied, Held, Existing, StaleTenant }

/// <summary>What tq_settle can answer (the SQL type tq_settle_outcome).</summary>
public enum SettleOutcome { Committed, Released, AlreadyCommitted, AlreadyReleased, Expired, NotFound }

/// <summary>
/// The names C# shares with the SQL in Migrations/ and Functions/. Each is defined once on each
/// side; LedgerProtocolTests compares them with what the migrated database holds.
/// </summary>
public static class LedgerProtocol
{
    /// <summary>The unique key that makes a consume idempotent; a race on one new key fails on it.</summary>
    public const string IdempotencyKeyConstraint = "usage_records_idempotency_key";

    /// <summary>The unique key that makes a reserve idempotent.</summary>
    public const string ReservationKeyConstraint = "reservations_idempotency_key";

    /// <summary>The enum types of tq_charge's and tq_settle's <c>outcome</c> columns.</summary>
    public const string ChargeOutcomeType = "tq_charge_outcome";
    public const string SettleOutcomeType = "tq_settle_outcome";

    /// <summary>The counter level of a person's matrix cell.</summary>
    public const string SubjectLevel = "subject";

    public static readonly IReadOnlyDictionary<string, ChargeOutcome> ChargeOutcomes = new Dictionary<string, ChargeOutcome>
    {
        ["recorded"] = ChargeOutcome.Recorded,
        ["denied"] = ChargeOutcome.Denied,
        ["held"] = ChargeOutcome.Held,
        ["existing"] = ChargeOutcome.Existing,
        ["stale_tenant"] = ChargeOutcome.StaleTenant,
    };

    public static readonly IReadOnlyDictionary<string, SettleOutcome> SettleOutcomes = new Dictionary<string, SettleOutcome>
    {
        ["committed"] = SettleOutcome.Committed,
        ["released"] = SettleOutcome.Released,
        ["already_committed"] = SettleOutcome.AlreadyCommitted,
        ["already_released"] = SettleOutcome.AlreadyReleased,
        ["expired"] = SettleOutcome.Expired,
        ["not_found"] = SettleOutcome.NotFound,
    };
}
