using TenantQuota.Domain.Matrix;

namespace TenantQuota.Domain.Budgets;

/// <summary>
/// The levels a request is charged at, widest first. The order is also the order in which the database
/// locks their counters, so that concurrent requests never deadlock (Functions/tq_apply_lines.sql).
/// </summary>
public enum QuotaLevel { Tenant, Department, Subject }

/// <summary>Who keeps working when the tenant budget runs short: low departments stop first, high last.</summary>
public enum DepartmentPriority { High, Normal, Low }

/// <summary>
/// A tenant's or department's budget: <paramref name="Limit"/> per <paramref name="Period"/>, in
/// <paramref name="Unit"/> (<c>usd</c>, counted in micro-dollars, or an operation class's unit such as
/// <c>request</c> or <c>tokens</c>). Past the limit, <paramref name="OverQuota"/> applies as in a matrix cell:
/// block, degrade or warn. Degrade names a cheaper class (<paramref name="FallbackClass"/>) or a cheaper model
/// (<paramref name="FallbackModel"/>): past the limit, calls with that model go on, any other model is refused and
/// pointed at it ("disable the expensive models until next month"). Budgets do not bill overage: billing is per
/// plan cell.
/// </summary>
public sealed record Budget(
    long Limit, string Unit, ResetCadence Period, OverQuotaAction OverQuota, string? FallbackClass,
    IReadOnlyList<decimal> AlertThresholds, string? FallbackModel = null, int RollingHours = 0)
{
    public const string Usd = "usd";
    public const string Tokens = "tokens";

    /// <summary>A budget decides like a matrix cell whose soft limit is its limit (alerts, not warnings, come before it).</summary>
    public QuotaCell Cell => new(Limit, Limit, Period, OverQuota, FallbackClass, RollingHours);
}

/// <param name="Models">The models its people may call; null for any their tier allows.</param>
/// <param name="Hold">Set by the anomaly detector until an administrator clears it: its people are blocked or degraded.</param>
public sealed record Department(string Id, string Name, DepartmentPriority Priority, Budget? Budget, IReadOnlyList<string>? Models = null, AnomalyHold? Hold = null);

/// <summary>
/// What the anomaly detector did to a person or a department after a spike, until an administrator clears it
/// (docs/decisions/0022): with <paramref name="FallbackClass"/>, requests of any other class are refused and pointed at it
/// (degrade); without, every request is refused (block). <paramref name="By"/> is the level that holds: the person's
/// own, or their department's.
/// </summary>
public sealed record AnomalyHold(QuotaLevel By, string? FallbackClass)
{
    /// <summary>Whether a request of <paramref name="operationClass"/> is refused: degrade lets its fallback class through.</summary>
    public bool Refuses(string operationClass) => FallbackClass != operationClass;

    public string Action => FallbackClass is null ? "block" : "degrade";
}

/// <summary>
/// The share of the tenant budget each priority may use: past it, that priority's requests meet the
/// tenant budget's over-quota action while higher priorities keep working (docs/decisions/0013).
/// </summary>
public sealed record PriorityShares(decimal Low, decimal Normal, decimal High)
{
    public static readonly PriorityShares Default = new(Low: 0.8m, Normal: 0.9m, High: 1.0m);

    public decimal For(DepartmentPriority priority) => priority switch
    {
        DepartmentPriority.Low => Low,
        DepartmentPriority.Normal => Normal,
        _ => High,
    };
}

public static class BudgetNames
{
    public static string ToWireName(this QuotaLevel level) => level switch
    {
        QuotaLevel.Tenant => "tenant",
        QuotaLevel.Department => "department",
        _ => "subject",
    };

    public static bool TryParseLevel(string? text, out QuotaLevel level)
    {
        switch (text)
        {
            case "tenant": level = QuotaLevel.Tenant; return true;
            case "department": level = QuotaLevel.Department; return true;
            case "subject": level = QuotaLevel.Subject; return true;
            default: level = default; return false;
        }
    }

    public static string ToWireName(this DepartmentPriority priority) => priority switch
    {
        DepartmentPriority.High => "high",
        DepartmentPriority.Normal => "normal",
        _ => "low",
    };

    public static bool TryParsePriority(string? text, out DepartmentPriority priority)
    {
        switch (text)
        {
            case "high": priority = DepartmentPriority.High; return true;
            case "normal": priority = DepartmentPriority.Normal; return true;
            case "low": priority = DepartmentPriority.Low; return true;
            default: priority = default; return false;
        }
    }
}
