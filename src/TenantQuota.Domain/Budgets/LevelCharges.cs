using NodaTime;
using TenantQuota.Domain.Matrix;

namespace TenantQuota.Domain.Budgets;

/// <summary>
/// What one request uses, in every unit a level may count: its quantity in the class's unit, its tokens and,
/// when it names a model, their cost in micro-dollars from the price table.
/// </summary>
public sealed record UsageAmount(long Quantity, string ClassUnit, long InputTokens = 0, long OutputTokens = 0, long CostMicroUsd = 0)
{
    /// <summary>How much of <paramref name="unit"/> this is; 0 when the request says nothing in that unit.</summary>
    public long In(string unit) =>
        unit == ClassUnit ? Quantity
        : unit == Budget.Usd ? CostMicroUsd
        : unit == Budget.Tokens ? InputTokens + OutputTokens
        : 0;
}

/// <summary>
/// One level's part of a request: the counter it changes (<paramref name="OwnerId"/>, <paramref name="Metric"/>,
/// <paramref name="Window"/>), by how much, the limit that applies, and <paramref name="Ceiling"/>, the most the
/// counter may count afterwards (null: nothing is refused at this level). The database enforces the ceilings
/// of all levels atomically; <see cref="LevelRules"/> explains the result. <paramref name="FallbackModel"/> is the
/// model a refusal at this level points at; <paramref name="ModelRefusedBy"/> is set when the request's model is not
/// allowed (by the tier's, the department's or the person's list), and <paramref name="HeldBy"/> when an anomaly hold
/// refuses the request: the line then refuses whatever it counts.
/// </summary>
public sealed record LevelCharge(
    QuotaLevel Level, string OwnerId, string Metric, string Unit, QuotaCell Cell, QuotaWindow Window, long Amount, long? Ceiling,
    string? FallbackModel = null, QuotaLevel? ModelRefusedBy = null, BurstAllowance? Burst = null, AnomalyHold? HeldBy = null)
{
    /// <summary>A ceiling no counter can meet: the database refuses the line, and with it the request.</summary>
    public const long RefuseAll = -1;

    /// <summary>The metric of a cell's burst counter: the class's, marked.</summary>
    public string BurstMetric => Metric + "#burst";
}

/// <summary>Up to <paramref name="Limit"/> units past the ceiling, once per <paramref name="Window"/> (its own counter).</summary>
public sealed record BurstAllowance(long Limit, QuotaWindow Window);

/// <summary>The request's model and who limits which models may be called: the tier and the person (null: any).</summary>
public sealed record ModelAccess(string? Model, IReadOnlyList<string>? TierModels = null, IReadOnlyList<string>? SubjectModels = null)
{
    public static readonly ModelAccess None = new(Model: null);
}

/// <summary>Which levels a request is charged at, and the ceiling of each. Pure.</summary>
public static class ChargePlan
{
    /// <summary>
    /// The tenant budget (if any), the department's budget (if the subject is in a department that has one)
    /// and the subject's cell, widest first. The tenant budget's ceiling is the share of it the department's
    /// priority may use (a subject outside any department counts as normal).
    /// </summary>
    /// <remarks>
    /// An anomaly hold (the person's own, or their department's) that refuses the class makes the subject's line
    /// refuse before anything else is looked at.
    /// A model that the tier, the department or the person does not allow makes the subject's line refuse, pointing at
    /// the first model of the list that refused it. A budget that degrades to a fallback model does not refuse calls
    /// with that model: past its limit they go on and are counted, as on a budget that only warns.
    /// </remarks>
    public static IReadOnlyList<LevelCharge> For(
        string tenantId, Budget? tenantBudget, Department? department, string subjectId, string operationClass,
        QuotaCell subjectCell, UsageAmount usage, DateTimeZone zone, Instant now, PriorityShares shares, ModelAccess? models = null,
        AnomalyHold? hold = null)
    {
        models ??= ModelAccess.None;
        var lines = new List<LevelCharge>(3);
        if (tenantBudget is not null)
            lines.Add(Budgeted(QuotaLevel.Tenant, tenantId, tenantBudget, usage, models.Model, zone, now, shares.For(department?.Priority ?? DepartmentPriority.Normal)));
        if (department?.Budget is { } departmentBudget)
            lines.Add(Budgeted(QuotaLevel.Department, department.Id, departmentBudget, usage, models.Model, zone, now, share: 1m));
        var subject = new LevelCharge(QuotaLevel.Subject, subjectId, operationClass, usage.ClassUnit, subjectCell,
            subjectCell.WindowAt(now, zone), usage.Quantity, QuotaRules.AdmissionCeiling(subjectCell),
            Burst: subjectCell.BurstWindowAt(now, zone) is { } burstWindow ? new BurstAllowance(subjectCell.Burst, burstWindow) : null);
        var refusal = NotAllowed(models.Model, models.TierModels, QuotaLevel.Subject)
            ?? NotAllowed(models.Model, department?.Models, QuotaLevel.Department)
            ?? NotAllowed(models.Model, models.SubjectModels, QuotaLevel.Subject);
        var held = hold?.Refuses(operationClass) == true ? hold : department?.Hold?.Refuses(operationClass) == true ? department.Hold : null;
        lines.Add(held is not null ? subject with { Ceiling = LevelCharge.RefuseAll, HeldBy = held, Burst = null }
            : refusal is { } r ? subject with { Ceiling = LevelCharge.RefuseAll, ModelRefusedBy = r.By, FallbackModel = r.Instead, Burst = null }
            : subject);
        return lines;
    }

    private static (QuotaLevel By, string Instead)? NotAllowed(string? model, IReadOnlyList<string>? allowed, QuotaLevel by) =>
        model is not null && allowed is { Count: > 0 } && !allowed.Contains(model) ? (by, allowed[0]) : null;

    private static LevelCharge Budgeted(QuotaLevel level, string ownerId, Budget budget, UsageAmount usage, string? model, DateTimeZone zone, Instant now, decimal share)
    {
        var amount = usage.In(budget.Unit);
        var window = budget.Cell.WindowAt(now, zone);
        if (model is not null && model == budget.FallbackModel && budget.OverQuota == OverQuotaAction.Degrade)
            return new LevelCharge(level, ownerId, budget.Unit, budget.Unit, budget.Cell with { OverQuota = OverQuotaAction.Warn }, window, amount, Ceiling: null);
        // Nothing to charge in this unit (a request without a model against a dollar budget): nothing to refuse either.
        long? ceiling = amount > 0 && budget.OverQuota.Enforces() ? (long)decimal.Floor(budget.Limit * share) : null;
        return new LevelCharge(level, ownerId, budget.Unit, budget.Unit, budget.Cell, window, amount, ceiling, budget.FallbackModel);
    }
}
