using TenantQuota.Domain;
using TenantQuota.Domain.Budgets;
using TenantQuota.Domain.Governance;
using TenantQuota.Domain.Matrix;

namespace TenantQuota.Data;

/// <summary>A budget's forecast from its level's daily use (<see cref="TenantBudgets.DailyUseAsync"/>), in the budget's unit.</summary>
public static class DailyUseForecast
{
    /// <param name="used">What the budget's counter says the period used so far (the rollups may be a minute behind it).</param>
    public static BudgetForecast Project(
        QuotaMatrix matrix, QuotaLevel level, string ownerId, Budget budget, long used, QuotaWindow window, DateOnly today, IReadOnlyList<DailyUse> daily)
    {
        var byDay = new Dictionary<DateOnly, long>();
        foreach (var use in daily)
        {
            if (level == QuotaLevel.Department && use.DepartmentId != ownerId) continue;
            var unit = matrix.TryGetClass(use.OperationClass, out var operationClass) ? operationClass.Unit : "";
            byDay[use.Day] = byDay.GetValueOrDefault(use.Day) + new UsageAmount(use.Quantity, unit, use.Tokens, 0, use.CostMicroUsd).In(budget.Unit);
        }
        var trailing = Enumerable.Range(0, BudgetForecasts.TrailingDays).Select(i => byDay.GetValueOrDefault(today.AddDays(i - BudgetForecasts.TrailingDays))).ToArray();
        var (periodEnd, lastDayShare) = BudgetForecasts.Ending(window.End.ToDateTimeUtc());
        return BudgetForecasts.Project(trailing, today, Math.Min(byDay.GetValueOrDefault(today), used), used, budget.Limit, periodEnd, lastDayShare);
    }
}
