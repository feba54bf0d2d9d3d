using TenantQuota.Domain.Matrix;

namespace TenantQuota.Domain.Budgets;

/// <summary>
/// Why a request was refused: a level's own limit, the share of the tenant budget kept for higher priorities, its model,
/// or an anomaly hold on the person or their department.
/// </summary>
public enum RefusalReason { Limit, Priority, Model, Anomaly }

/// <summary>
/// Where one level stands after the request: <paramref name="Used"/> is unchanged unless the request was admitted.
/// <paramref name="BurstUsed"/> is what the level's burst counter has used after it (of <see cref="LevelCharge.Burst"/>),
/// <paramref name="FromBurst"/> the part of this request it took.
/// </summary>
public sealed record LevelOutcome(LevelCharge Charge, long Before, long Used, long Remaining, QuotaState State, bool Refused, bool HeldForHigherPriority,
    long BurstUsed = 0, long FromBurst = 0);

/// <summary>
/// The decision over every level: admitted only if no level refuses. <paramref name="LimitingLevel"/> is the
/// level that refused (the widest, when several did: a better plan for the subject would not help), or, when
/// admitted, the one nearest its limit. <paramref name="Subject"/> is the subject cell's view of it, the
/// answer's top-level fields.
/// </summary>
public sealed record ChargeDecision(
    bool Allowed, QuotaOutcome Subject, QuotaLevel LimitingLevel, IReadOnlyList<LevelOutcome> Levels, RefusalReason? Reason, string? FallbackModel = null);

/// <summary>The entitlement rules over several levels. Pure: what each counter held comes in, the decision goes out.</summary>
public static class LevelRules
{
    /// <summary>
    /// Decides a consume or reserve (<paramref name="settled"/> false) or explains a commit (true: the work is
    /// done, nothing is refused, and an amount past a block or degrade limit is recorded as such).
    /// <paramref name="before"/> is what each line's counter counted before, in line order; <paramref name="burstBefore"/>
    /// what the burst counters of lines with a burst allowance had used (0 elsewhere; null: all 0).
    /// A line past its ceiling is admitted if the part past it fits in what its burst allowance has left: decision
    /// warn, state hard_limit, and the answer says how much came from the burst.
    /// </summary>
    public static ChargeDecision Decide(IReadOnlyList<LevelCharge> lines, IReadOnlyList<long> before, bool settled = false, IReadOnlyList<long>? burstBefore = null)
    {
        ArgumentOutOfRangeException.ThrowIfNotEqual(before.Count, lines.Count);
        var own = new QuotaOutcome[lines.Count];
        var refused = new bool[lines.Count];
        var fromBurst = new long[lines.Count];
        for (var i = 0; i < lines.Count; i++)
        {
            var line = lines[i];
            var after = before[i] + line.Amount;
            var burstLeft = line.Burst is { } burst ? burst.Limit - (burstBefore?[i] ?? 0) : 0;
            if (line.Amount == 0) own[i] = Unchanged(line.Cell, before[i]);
            else if (settled)
                own[i] = QuotaRules.Decide(line.Cell.OverQuota.Enforces() ? line.Cell with { OverQuota = OverQuotaAction.Warn } : line.Cell, before[i], line.Amount);
            else if (line.Ceiling is not { } ceiling || after <= ceiling) own[i] = QuotaRules.Decide(line.Cell, before[i], line.Amount);
            else if (line.Burst is not null && line.ModelRefusedBy is null && after - Math.Max(ceiling, before[i]) <= burstLeft)
            {
                fromBurst[i] = after - Math.Max(ceiling, before[i]);
                own[i] = new QuotaOutcome(true, Decision.Warn, QuotaState.HardLimit, after, 0, FallbackClass: null, BillableQuantity: 0);
            }
            else own[i] = QuotaRules.Refuse(line.Cell, before[i]);
            refused[i] = !own[i].Allowed;
        }

        var allowed = !refused.Contains(true);
        var levels = new LevelOutcome[lines.Count];
        for (var i = 0; i < lines.Count; i++)
        {
            var outcome = allowed ? own[i] : Unchanged(lines[i].Cell, before[i]);
            var taken = allowed ? fromBurst[i] : 0;
            levels[i] = new LevelOutcome(lines[i], before[i], outcome.Used, outcome.Remaining, outcome.State, refused[i],
                HeldForHigherPriority: refused[i] && lines[i].ModelRefusedBy is null && lines[i].HeldBy is null && before[i] + lines[i].Amount <= lines[i].Cell.HardLimit,
                BurstUsed: (burstBefore?[i] ?? 0) + taken, FromBurst: taken);
        }

        var limiting = allowed ? Nearest(levels) : Refusing(lines, refused);
        var subjectIndex = IndexOf(lines, QuotaLevel.Subject);
        var subject = allowed
            ? own[subjectIndex] with { Decision = Worst(own), BillableQuantity = own[subjectIndex].BillableQuantity }
            : QuotaRules.Refuse(lines[subjectIndex].Cell, before[subjectIndex]) with { FallbackClass = own[limiting].FallbackClass };
        if (allowed) return new ChargeDecision(true, subject, lines[limiting].Level, levels, Reason: null);
        var refusing = lines[limiting];
        var reason = refusing.HeldBy is not null ? RefusalReason.Anomaly
            : refusing.ModelRefusedBy is not null ? RefusalReason.Model
            : levels[limiting].HeldForHigherPriority ? RefusalReason.Priority
            : RefusalReason.Limit;
        var fallbackClass = reason switch { RefusalReason.Model => null, RefusalReason.Anomaly => refusing.HeldBy!.FallbackClass, _ => subject.FallbackClass };
        return new ChargeDecision(false, subject with { FallbackClass = fallbackClass },
            refusing.HeldBy?.By ?? refusing.ModelRefusedBy ?? refusing.Level, levels, reason, refusing.FallbackModel);
    }

    /// <summary>
    /// The line the refusal is about: an anomaly hold whatever else refused (it is what an administrator must act on),
    /// else the widest that refused (lines come widest first).
    /// </summary>
    private static int Refusing(IReadOnlyList<LevelCharge> lines, bool[] refused)
    {
        for (var i = 0; i < lines.Count; i++)
            if (refused[i] && lines[i].HeldBy is not null) return i;
        return Array.IndexOf(refused, true);
    }

    private static QuotaOutcome Unchanged(QuotaCell cell, long used) =>
        new(true, Decision.Allow, QuotaRules.StateOf(cell, used), used, QuotaRules.Remaining(cell, used), FallbackClass: null, BillableQuantity: 0);

    /// <summary>The level with the smallest share of its limit left; the narrowest on a tie.</summary>
    private static int Nearest(LevelOutcome[] levels)
    {
        var nearest = levels.Length - 1;
        for (var i = levels.Length - 2; i >= 0; i--)
            if (Left(levels[i]) < Left(levels[nearest])) nearest = i;
        return nearest;
    }

    private static decimal Left(LevelOutcome level) =>
        level.Charge.Cell.HardLimit <= 0 ? 0 : (decimal)level.Remaining / level.Charge.Cell.HardLimit;

    /// <summary>The answer's decision when admitted: overage where any level bills, else warn where any warns.</summary>
    private static Decision Worst(QuotaOutcome[] outcomes) =>
        outcomes.Any(o => o.Decision == Decision.Overage) ? Decision.Overage
        : outcomes.Any(o => o.Decision == Decision.Warn) ? Decision.Warn
        : Decision.Allow;

    private static int IndexOf(IReadOnlyList<LevelCharge> lines, QuotaLevel level)
    {
        for (var i = 0; i < lines.Count; i++)
            if (lines[i].Level == level) return i;
        throw new ArgumentException($"A charge always has a {level.ToWireName()} line.", nameof(lines));
    }
}
