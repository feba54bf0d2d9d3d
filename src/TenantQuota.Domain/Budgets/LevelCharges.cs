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
/// of all levels atomically; <see cref="LevelRules"/> explains the result.
/// </summary>
public sealed record LevelCharge(
    QuotaLevel Level, string OwnerId, string Metric, string Unit, QuotaCell Cell, QuotaWindow Window, long Amount, long? Ceiling);

/// <summary>Which levels a request is charged at, and the ceiling of each. Pure.</summary>
public static class ChargePlan
{
    /// <summary>
    /// The tenant budget (if any), the department's budget (if the subject is in a department that has one)
    /// and the subject's cell, widest first. The tenant budget's ceiling is the share of it the department's
    /// priority may use (a subject outside any department counts as normal).
    /// </summary>
    public static IReadOnlyList<LevelCharge> For(
        string tenantId, Budget? tenantBudget, Department? department, string subjectId, string operationClass,
        QuotaCell subjectCell, UsageAmount usage, DateTimeZone zone, Instant now, PriorityShares shares)
    {
        var lines = new List<LevelCharge>(3);
        if (tenantBudget is not null)
            lines.Add(Budgeted(QuotaLevel.Tenant, tenantId, tenantBudget, usage, zone, now, shares.For(department?.Priority ?? DepartmentPriority.Normal)));
        if (department?.Budget is { } departmentBudget)
            lines.Add(Budgeted(QuotaLevel.Department, department.Id, departmentBudget, usage, zone, now, share: 1m));
        lines.Add(new LevelCharge(QuotaLevel.Subject, subjectId, operationClass, usage.ClassUnit, subjectCell,
            QuotaWindow.Containing(now, subjectCell.Reset, zone), usage.Quantity, QuotaRules.AdmissionCeiling(subjectCell)));
        return lines;
    }

    private static LevelCharge Budgeted(QuotaLevel level, string ownerId, Budget budget, UsageAmount usage, DateTimeZone zone, Instant now, decimal share)
    {
        var amount = usage.In(budget.Unit);
        // Nothing to charge in this unit (a request without a model against a dollar budget): nothing to refuse either.
        long? ceiling = amount > 0 && budget.OverQuota.Enforces() ? (long)decimal.Floor(budget.Limit * share) : null;
        return new LevelCharge(level, ownerId, budget.Unit, budget.Unit, budget.Cell, QuotaWindow.Containing(now, budget.Period, zone), amount, ceiling);
    }
}
