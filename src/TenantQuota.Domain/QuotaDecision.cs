using TenantQuota.Domain.Matrix;

namespace TenantQuota.Domain;

/// <summary>The answer's <c>decision</c>: allow, warn, deny or overage.</summary>
public enum Decision { Allow, Warn, Deny, Overage }

/// <summary>Where usage stands against a cell: under the soft limit, past it, or at/over the hard limit.</summary>
public enum QuotaState { Ok, SoftLimit, HardLimit }

/// <summary>
/// The outcome of asking for <paramref name="Quantity"/> more of a class.
/// <paramref name="Used"/> is what the window counts after the request (unchanged when denied).
/// <paramref name="BillableQuantity"/> is the part of the quantity that lies past the hard limit of an overage cell.
/// </summary>
public sealed record QuotaOutcome(
    bool Allowed,
    Decision Decision,
    QuotaState State,
    long Used,
    long Remaining,
    string? FallbackClass,
    long BillableQuantity);

/// <summary>The entitlement rules of one matrix cell. Pure: usage comes in, a decision goes out.</summary>
public static class QuotaRules
{
    /// <summary>
    /// The most a window may count after an admitted request, or null when nothing is refused
    /// (overage and warn cells). The counter store enforces it atomically; <see cref="Decide"/>
    /// then explains the result.
    /// </summary>
    public static long? AdmissionCeiling(QuotaCell cell) => cell.OverQuota.Enforces() ? cell.HardLimit : null;

    public static QuotaOutcome Decide(QuotaCell cell, long usedBefore, long quantity)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(usedBefore);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(quantity);

        var after = checked(usedBefore + quantity);
        if (after <= cell.HardLimit)
            return Admitted(cell, after, after <= cell.SoftLimit ? Decision.Allow : Decision.Warn, billable: 0);

        return cell.OverQuota switch
        {
            OverQuotaAction.Block or OverQuotaAction.Degrade => Refuse(cell, usedBefore),
            OverQuotaAction.Overage => Admitted(cell, after, Decision.Overage, billable: after - Math.Max(cell.HardLimit, usedBefore)),
            OverQuotaAction.Warn => Admitted(cell, after, Decision.Warn, billable: 0),
            _ => throw new ArgumentOutOfRangeException(nameof(cell), cell.OverQuota, "Unknown over-quota action."),
        };
    }

    /// <summary>A refusal where <paramref name="usedBefore"/> is counted: nothing changes; degrade names its fallback class.</summary>
    public static QuotaOutcome Refuse(QuotaCell cell, long usedBefore) =>
        new(false, Decision.Deny, StateOf(cell, usedBefore), usedBefore, Remaining(cell, usedBefore),
            cell.OverQuota == OverQuotaAction.Degrade ? cell.FallbackClass : null, BillableQuantity: 0);

    /// <summary>Where a window with <paramref name="used"/> counted stands, without asking for more.</summary>
    public static QuotaState StateOf(QuotaCell cell, long used) =>
        used >= cell.HardLimit ? QuotaState.HardLimit
        : used > cell.SoftLimit ? QuotaState.SoftLimit
        : QuotaState.Ok;

    public static long Remaining(QuotaCell cell, long used) => Math.Max(0, cell.HardLimit - used);

    private static QuotaOutcome Admitted(QuotaCell cell, long used, Decision decision, long billable) =>
        new(true, decision, StateOf(cell, used), used, Remaining(cell, used), FallbackClass: null, billable);
}
