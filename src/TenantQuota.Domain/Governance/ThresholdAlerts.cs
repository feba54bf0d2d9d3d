namespace TenantQuota.Domain.Governance;

/// <summary>What one evaluation of a budget changes about its alerts.</summary>
/// <param name="Raise">Thresholds usage has reached that had no open alert: each raises <c>alert.threshold_crossed</c>.</param>
/// <param name="Recover">Open thresholds usage is back under (a raised limit, a new period): each raises <c>alert.recovered</c>.</param>
public sealed record ThresholdChanges(IReadOnlyList<decimal> Raise, IReadOnlyList<decimal> Recover)
{
    public bool IsEmpty => Raise.Count == 0 && Recover.Count == 0;
}

/// <summary>
/// Threshold alerts of a budget: a threshold is a share of the limit (0.9 = 90 %). It is crossed when usage
/// reaches that share, and stays open until usage is under it again; only the moves between the two raise an
/// alert, so a period raises each threshold once unless it recovered in between (docs/decisions/0019).
/// </summary>
public static class ThresholdAlerts
{
    public static ThresholdChanges Evaluate(IReadOnlyList<decimal> thresholds, long used, long limit, IReadOnlySet<decimal> open)
    {
        var raise = thresholds.Where(t => Reached(t, used, limit) && !open.Contains(t)).ToList();
        // An open threshold the budget no longer has is closed too: nobody watches it any more.
        var recover = open.Where(t => !thresholds.Contains(t) || !Reached(t, used, limit)).Order().ToList();
        return new ThresholdChanges(raise, recover);
    }

    /// <summary>Whether <paramref name="used"/> is at least <paramref name="threshold"/> of <paramref name="limit"/>, exactly (no rounding).</summary>
    public static bool Reached(decimal threshold, long used, long limit) => limit > 0 ? used >= threshold * limit : used > 0;
}
