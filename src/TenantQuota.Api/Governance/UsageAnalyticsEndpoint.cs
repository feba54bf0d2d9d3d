using Microsoft.AspNetCore.Http.HttpResults;
using TenantQuota.Api.Auth;
using TenantQuota.Api.Errors;
using TenantQuota.Data.Governance;

namespace TenantQuota.Api.Governance;

public sealed record UsagePoint(DateTime T, long Quantity, decimal Usd);

public sealed record UsageTotal(long Quantity, decimal Usd);

/// <param name="Key">The class, department, person or model; null for usage without a department or a model.</param>
public sealed record UsageSeries(string? Key, UsageTotal Total, IReadOnlyList<UsagePoint> Points);

/// <param name="RolledTo">Usage recorded before this instant is in the figures; later usage arrives within Worker:RollupInterval.</param>
public sealed record UsageAnalyticsResponse(
    string GroupBy, string Interval, DateTime From, DateTime To, DateTime? RolledTo, IReadOnlyList<UsageSeries> Series);

/// <summary>
/// GET /v1/tenant/usage (tenant.admin): the tenant's usage over time, per class, department, person or model, from the
/// worker's rollups (ADR 0020). Buckets are UTC hours or days; every bucket of the range is present, zero where
/// nothing was used, so a chart can draw it as it comes. Series are the largest first. Quantities add up each class's
/// own unit (requests, documents, tokens), so across classes usd is the comparable figure, or operationClass picks one.
/// </summary>
public static class UsageAnalyticsEndpoint
{
    public const int DefaultLimit = 50, MaxLimit = 500;
    public static readonly TimeSpan MaxHourly = TimeSpan.FromDays(31), MaxDaily = TimeSpan.FromDays(366);

    private static readonly Dictionary<string, UsageGrouping> Groupings = new(StringComparer.Ordinal)
    {
        ["class"] = UsageGrouping.Class, ["department"] = UsageGrouping.Department, ["subject"] = UsageGrouping.Subject, ["model"] = UsageGrouping.Model,
    };

    public static async Task<Results<Ok<UsageAnalyticsResponse>, ValidationProblem>> Handle(
        string? from, string? to, string? groupBy, string? interval, string? operationClass, int? limit, TenantContext caller, UsageAnalytics analytics,
        Domain.Matrix.QuotaMatrix matrix, TimeProvider clock, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        var start = QueryValues.Instant(from, "from", errors);
        var end = QueryValues.Instant(to, "to", errors);
        var grouping = UsageGrouping.Class;
        if (groupBy is not null && !Groupings.TryGetValue(groupBy, out grouping)) errors["groupBy"] = ["groupBy must be class, department, subject or model."];
        if (interval is not (null or "hour" or "day")) errors["interval"] = ["interval must be hour or day."];
        if (operationClass is not null && matrix.OperationClasses.All(c => c.Name != operationClass))
            errors["operationClass"] = [$"operationClass must be one of {string.Join(", ", matrix.OperationClasses.Select(c => c.Name))}."];
        if (limit is < 1 or > MaxLimit) errors["limit"] = [$"limit must be between 1 and {MaxLimit}."];
        if (errors.Count > 0) return Problems.Validation(errors);

        var daily = interval != "hour";
        var step = daily ? TimeSpan.FromDays(1) : TimeSpan.FromHours(1);
        var last = Ceiling(end ?? clock.GetUtcNow(), step);
        var first = Floor(start ?? last - (daily ? TimeSpan.FromDays(30) : TimeSpan.FromDays(7)), step);
        if (first >= last) return Problems.Validation("from", "from must be before to.");
        if (last - first > (daily ? MaxDaily : MaxHourly))
            return Problems.Validation(daily ? "from" : "interval",
                daily ? $"A daily series covers at most {MaxDaily.TotalDays} days." : $"An hourly series covers at most {MaxHourly.TotalDays} days; ask for interval=day.");

        var buckets = await analytics.ReadAsync(caller.TenantId, grouping, daily, first, last, operationClass, limit ?? DefaultLimit, cancellationToken);
        var rolledTo = await analytics.RolledToAsync(caller.TenantId, cancellationToken);
        var series = buckets.GroupBy(b => b.Key)
            .Select(g => (Key: g.Key, Quantity: g.Sum(b => b.Quantity), Micro: g.Sum(b => b.CostMicroUsd), ByStart: g.ToDictionary(b => b.Start)))
            .OrderByDescending(s => s.Quantity).ThenByDescending(s => s.Micro).ThenBy(s => s.Key, StringComparer.Ordinal)
            .Select(s => new UsageSeries(s.Key, new UsageTotal(s.Quantity, Usd(s.Micro)), Points(first, last, step, s.ByStart)))
            .ToList();
        return TypedResults.Ok(new UsageAnalyticsResponse(groupBy ?? "class", daily ? "day" : "hour", first.UtcDateTime, last.UtcDateTime,
            rolledTo?.UtcDateTime, series));
    }

    private static List<UsagePoint> Points(DateTimeOffset first, DateTimeOffset last, TimeSpan step, Dictionary<DateTimeOffset, UsageBucket> byStart)
    {
        var points = new List<UsagePoint>();
        for (var t = first; t < last; t += step)
            points.Add(byStart.TryGetValue(t, out var b) ? new UsagePoint(t.UtcDateTime, b.Quantity, Usd(b.CostMicroUsd)) : new UsagePoint(t.UtcDateTime, 0, 0));
        return points;
    }

    private static decimal Usd(long micro) => micro / 1_000_000m;

    private static DateTimeOffset Floor(DateTimeOffset at, TimeSpan step) => new(at.UtcTicks - at.UtcTicks % step.Ticks, TimeSpan.Zero);

    private static DateTimeOffset Ceiling(DateTimeOffset at, TimeSpan step) =>
        at.UtcTicks % step.Ticks == 0 ? at.ToUniversalTime() : Floor(at, step) + step;
}
