using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using NodaTime;
using TenantQuota.Api.Audit;
using TenantQuota.Api.Auth;
using TenantQuota.Api.Budgets;
using TenantQuota.Api.EndUser;
using TenantQuota.Api.Entitlements;
using TenantQuota.Api.Errors;
using TenantQuota.Api.Governance;
using TenantQuota.Data.Audit;
using TenantQuota.Data.EndUser;
using TenantQuota.Data.Governance;
using TenantQuota.Domain;
using TenantQuota.Domain.Budgets;
using TenantQuota.Domain.Governance;

namespace TenantQuota.Api.Dashboard;

/// <summary>
/// Reads the overview through the very handlers of GET /v1/tenant/budget, /departments, /usage, /alerts, /audit,
/// /ux-metrics and /webhooks (and the store behind /anomaly-holds), so the page shows exactly what the API answers the same admin.
/// </summary>
public sealed class DashboardReader(
    EntitlementDependencies deps, UsageAnalytics analytics, TenantEvents events, AuditLog audit, UxEvents ux, WebhookEndpoints webhooks, AnomalyStore anomalies,
    TimeProvider clock)
{
    public const int TopCount = 5, ListCount = 20;

    /// <param name="edit">A department whose fields the department form starts with.</param>
    public async Task<OverviewModel> ReadAsync(TenantContext caller, DashboardText text, string? status, CancellationToken cancellationToken, string? edit = null)
    {
        var tenant = await deps.Tenants.FindAsync(caller.TenantId, cancellationToken)
            ?? throw new TenantAccessException(ProblemTypes.TenantNotProvisioned, $"Tenant '{caller.TenantId}' named by the access token is not provisioned here.");
        var now = deps.Now();
        var budget = (await BudgetEndpoints.GetBudget(caller, deps, cancellationToken)).Result is Ok<BudgetStanding> { Value: { } standing } ? standing : null;
        // The budget's own period when it has one; otherwise the calendar month in the tenant's zone.
        var period = tenant.Budget is { } tenantBudget ? tenantBudget.Cell.WindowAt(now, tenant.Zone) : QuotaWindow.OfMonth(YearMonth(now, tenant.Zone), tenant.Zone);
        var from = period.CountsFrom.ToDateTimeOffset().ToString("O");

        var daily = budget is null ? [] : await DailyAsync(caller, budget, period, now, from, cancellationToken);
        var departments = (await BudgetEndpoints.ListDepartments(caller, deps, cancellationToken)).Value!.Departments;
        var people = await TopAsync(caller, "subject", from, cancellationToken);
        var models = await TopAsync(caller, "model", from, cancellationToken);
        var alerts = Value(await AlertsEndpoint.Handle(null, null, "alert.*", ListCount, caller, events, cancellationToken)).Items;
        var changes = Value(await AuditEndpoints.Read(null, null, null, null, ListCount, caller, audit, cancellationToken)).Items;
        var experience = Value(await UxEndpoints.Metrics(null, null, caller, ux, deps, clock, cancellationToken));
        var endpoints = (await Webhooks.List(caller, webhooks, cancellationToken)).Value!.Items;
        var holds = await anomalies.ListHoldsAsync(caller.TenantId, includeCleared: false, cancellationToken);

        return new OverviewModel(text, caller.TenantId, status, budget, budget is null ? null : Chart(text, budget, period, daily), daily, departments,
            people, models, alerts, changes, experience, endpoints, YearMonth(now, tenant.Zone).ToString("yyyy-MM", null),
            new DashboardChoices(BudgetParser.Units(deps.Matrix), [.. deps.Matrix.OperationClasses.Select(c => c.Name)], WebhookEvents.Patterns,
                [.. deps.Prices.Models.Order(StringComparer.Ordinal)]))
        {
            BudgetForm = FormState.Of(budget),
            Holds = [.. holds.Select(AnomalyEndpoints.Response)],
            DepartmentForm = departments.FirstOrDefault(d => d.Id == edit) is { } editing
                ? FormState.Of(editing.Budget, ("id", editing.Id), ("name", editing.Name), ("priority", editing.Priority))
                : FormState.Empty,
        };
    }

    /// <summary>
    /// Usage by the end of each day of the period so far, from the daily rollups in the budget's unit (dollars, or the
    /// classes counted in its unit); today's point is the budget's own counter, which the rollups may lag.
    /// </summary>
    private async Task<IReadOnlyList<DailyTotal>> DailyAsync(TenantContext caller, BudgetStanding budget, QuotaWindow period, Instant now, string from,
        CancellationToken cancellationToken)
    {
        if (period.IsRolling) return [];
        var answer = Value(await UsageAnalyticsEndpoint.Handle(from, null, "class", "day", null, UsageAnalyticsEndpoint.MaxLimit, caller, analytics, deps.Matrix,
            clock, cancellationToken));
        var classUnits = deps.Matrix.OperationClasses.ToDictionary(c => c.Name, c => c.Unit);
        var perDay = new SortedDictionary<DateOnly, decimal>();
        foreach (var series in answer.Series)
            foreach (var point in series.Points)
            {
                var amount = budget.Unit == Budget.Usd ? point.Usd
                    : series.Key is { } name && classUnits.GetValueOrDefault(name) == budget.Unit ? point.Quantity : 0;
                var day = DateOnly.FromDateTime(point.T);
                perDay[day] = perDay.GetValueOrDefault(day) + amount;
            }
        var today = DateOnly.FromDateTime(now.ToDateTimeUtc());
        var totals = new List<DailyTotal>();
        var sum = 0m;
        for (var day = DateOnly.FromDateTime(period.Start.ToDateTimeUtc()); day < today; day = day.AddDays(1))
            totals.Add(new DailyTotal(day, sum += perDay.GetValueOrDefault(day)));
        totals.Add(new DailyTotal(today, budget.Spent));
        return totals;
    }

    private static UsageLineData Chart(DashboardText text, BudgetStanding budget, QuotaWindow period, IReadOnlyList<DailyTotal> daily)
    {
        var start = DateOnly.FromDateTime(period.Start.ToDateTimeUtc());
        var end = DateOnly.FromDateTime(period.End.ToDateTimeUtc().AddTicks(-1));
        var used = text.Amount(budget.Spent, budget.Unit);
        var limit = text.Amount(budget.Limit, budget.Unit);
        var summary = budget.Forecast is { } f
            ? string.Format(text.UsageChartSummary, used, limit, text.Amount(f.Projected, budget.Unit), text.Amount(f.Low, budget.Unit), text.Amount(f.High, budget.Unit))
            : string.Format(text.UsageChartNoForecast, used, limit);
        return new UsageLineData("usage-chart", text.UsageChartTitle, summary, [.. daily.Select(d => d.Cumulative)], end.DayNumber - start.DayNumber + 1,
            budget.Limit, budget.Forecast?.Projected, budget.Forecast?.Low, budget.Forecast?.High, $"{text.Limit} {limit}", text.Date(start), text.Date(end));
    }

    private async Task<IReadOnlyList<UsageSeries>> TopAsync(TenantContext caller, string groupBy, string from, CancellationToken cancellationToken) =>
        Value(await UsageAnalyticsEndpoint.Handle(from, null, groupBy, "day", null, TopCount, caller, analytics, deps.Matrix, clock, cancellationToken)).Series;

    private static YearMonth YearMonth(Instant now, DateTimeZone zone)
    {
        var date = now.InZone(zone).Date;
        return new YearMonth(date.Year, date.Month);
    }

    /// <summary>The dashboard asks with arguments it built itself, so a refusal here is a bug, not the user's input.</summary>
    private static T Value<T>(Results<Ok<T>, ValidationProblem> result) => result.Result is Ok<T> { Value: { } value }
        ? value
        : throw new InvalidOperationException($"The dashboard's own query was refused: {string.Join(" ", ((ValidationProblem)result.Result).ProblemDetails.Errors.SelectMany(e => e.Value))}");
}
