using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using TenantQuota.Api.Auth;
using TenantQuota.Api.Entitlements;
using TenantQuota.Api.Errors;
using TenantQuota.Data.Governance;

namespace TenantQuota.Api.Governance;

/// <param name="Departments">The departments the report covers; null or absent for all.</param>
public sealed record ReportSubscriptionRequest(List<string?>? Departments);

/// <param name="NextReportAfter">The end of the week the next report covers; it is sent within Worker:ReportInterval after it.</param>
public sealed record ReportSubscriptionResponse(string Period, IReadOnlyList<string>? Departments, DateTime UpdatedAt, DateTime NextReportAfter);

/// <summary>
/// PUT, GET and DELETE /v1/tenant/reports/weekly (tenant.admin): a weekly usage report (per department and class, units
/// and dollars) sent once a week as a report.usage event to the webhook endpoints subscribed to it.
/// </summary>
public static class ReportsEndpoints
{
    public const int MaxDepartments = 50;

    public static async Task<Results<Ok<ReportSubscriptionResponse>, ValidationProblem>> Put(ReportSubscriptionRequest? request, TenantContext caller,
        ClaimsPrincipal user, EntitlementDependencies deps, ReportSubscriptions reports, TimeProvider clock, CancellationToken cancellationToken)
    {
        var tenant = await deps.Tenants.FindAsync(caller.TenantId, cancellationToken)
            ?? throw new TenantAccessException(ProblemTypes.TenantNotProvisioned, $"Tenant '{caller.TenantId}' named by the access token is not provisioned here.");
        var departments = request?.Departments;
        if (departments is not null)
        {
            if (departments.Count is 0 or > MaxDepartments)
                return Problems.Validation("departments", $"departments: 1–{MaxDepartments} department ids, or leave it out for all.");
            if (departments.Contains(null)) return Problems.Validation("departments", "departments: department ids, not null.");
            if (departments.FirstOrDefault(d => tenant.Department(d) is null) is { } unknown)
                return Problems.Validation("departments", $"departments: your tenant has no department '{unknown}'.");
        }
        var saved = await reports.PutAsync(caller.TenantId, departments?.Select(d => d!).Distinct().ToList(), Actor.Of(user), cancellationToken);
        return TypedResults.Ok(Response(saved, clock));
    }

    public static async Task<Results<Ok<ReportSubscriptionResponse>, ProblemHttpResult>> Get(TenantContext caller, ReportSubscriptions reports, TimeProvider clock,
        CancellationToken cancellationToken) =>
        await reports.FindAsync(caller.TenantId, cancellationToken) is { } found
            ? TypedResults.Ok(Response(found, clock))
            : Problems.NotFound("Your tenant has no weekly report; PUT /v1/tenant/reports/weekly subscribes it.");

    public static async Task<Results<NoContent, ProblemHttpResult>> Delete(TenantContext caller, ClaimsPrincipal user, ReportSubscriptions reports,
        CancellationToken cancellationToken) =>
        await reports.DeleteAsync(caller.TenantId, Actor.Of(user), cancellationToken)
            ? TypedResults.NoContent()
            : Problems.NotFound("Your tenant has no weekly report.");

    /// <summary>The next report covers the current ISO week (UTC), so it goes after next Monday 00:00 UTC.</summary>
    private static ReportSubscriptionResponse Response(ReportSubscription subscription, TimeProvider clock)
    {
        var today = DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime);
        var nextMonday = today.AddDays(7 - ((int)today.DayOfWeek + 6) % 7);
        return new ReportSubscriptionResponse(subscription.Period, subscription.Departments, subscription.UpdatedAt.UtcDateTime,
            nextMonday.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc));
    }
}
