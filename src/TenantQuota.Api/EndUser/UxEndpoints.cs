using System.Globalization;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Http.HttpResults;
using TenantQuota.Api.Auth;
using TenantQuota.Api.Entitlements;
using TenantQuota.Api.Errors;
using TenantQuota.Api.Hosting;
using TenantQuota.Data.EndUser;
using TenantQuota.Domain.Matrix;

namespace TenantQuota.Api.EndUser;

public sealed record UxEventRequest(string? SubjectId, string? Type, string? OperationClass);

public sealed record UxClassMetrics(
    string OperationClass, long Subjects, double? SoftLimitHitRate, double? HardLimitHitRate, long NudgesShown, long SoftLimitHits, long HardLimitHits,
    long BannersShown, long BannersDismissed, long UpgradeClicks, double? UpgradeClickThrough, long Stops, long StoppedWithin60Seconds,
    double? StoppedWithin60SecondsRate);

public sealed record UxMetricsResponse(DateTime From, DateTime To, IReadOnlyList<UxClassMetrics> Classes);

/// <summary>
/// The experience, measured: POST /v1/ux-events (what an end user did with a message; a view token or a
/// back end's token) and GET /v1/tenant/ux-metrics (tenant.admin): per class, how many of the subjects
/// who used it went past the soft limit and hit the hard one, how often an upgrade offer was clicked,
/// and how many stops ended the session (no other consume within 60 s).
/// </summary>
public static class UxEndpoints
{
    public const string ReportPolicy = "ux-report";
    private static readonly TimeSpan DefaultPeriod = TimeSpan.FromDays(30);
    private static readonly TimeSpan MaxPeriod = TimeSpan.FromDays(366);

    public static IServiceCollection AddUxMetrics(this IServiceCollection services)
    {
        services.AddSingleton<UxEvents>();
        services.AddAuthorizationBuilder().AddPolicy(ReportPolicy, policy => policy
            .AddAuthenticationSchemes(JwtBearerDefaults.AuthenticationScheme, ViewTokenAuthentication.SchemeName)
            .RequireAuthenticatedUser()
            .RequireAssertion(c => Scopes.Has(c.User, ViewTokenAuthentication.Scope) || Scopes.Has(c.User, Scopes.QuotaCheck) || Scopes.Has(c.User, Scopes.QuotaConsume)));
        return services;
    }

    public static RouteGroupBuilder MapUxMetrics(this RouteGroupBuilder v1)
    {
        v1.MapPost("/ux-events", Report)
            .RequireAuthorization(ReportPolicy)
            .RequireCors(EndUserCors.Policy)
            .WithTags("End users")
            .WithName("ReportUxEvent")
            .WithSummary("Report what an end user did with a quota message")
            .WithDescription("type banner_shown, banner_dismissed or upgrade_clicked, for an operation class. With a view token the " +
                "subject is the token's (a subjectId, if sent, must be it); with a back end's token (quota.check or quota.consume) " +
                "subjectId is required. 202 when stored.")
            .AcceptsJsonBody();
        v1.MapGet("/tenant/ux-metrics", Metrics)
            .RequireAuthorization(Scopes.TenantAdmin)
            .WithTags("End users")
            .WithName("GetUxMetrics")
            .WithSummary("Read how the quota copy works for your users")
            .WithDescription("Per class over [from, to) (ISO 8601 instants; default the last 30 days, at most 366): subjects, the share " +
                "that went past the soft limit and that hit the hard limit, nudges shown, banners shown and dismissed, upgrade clicks " +
                "and click-through, stops and the share after which the user sent nothing for 60 s. Scope tenant.admin.");
        return v1;
    }

    public static async Task<Results<Accepted, ValidationProblem>> Report(UxEventRequest? request, HttpContext http, QuotaMatrix matrix, UxEvents events,
        TimeProvider clock, CancellationToken cancellationToken)
    {
        var caller = TenantContext.From(http.User);
        var viewSubject = http.User.FindFirst(ViewTokenAuthentication.SubjectClaim)?.Value;
        var subject = request?.SubjectId ?? viewSubject;
        var errors = new Dictionary<string, string[]>();
        if (request is null) return Problems.Validation("body", "A JSON body is required: { \"subjectId\", \"type\", \"operationClass\" }.");
        if (viewSubject is not null && subject != viewSubject) errors["subjectId"] = ["A view token reports for its own subject only."];
        else if (EntitlementRequest.ValidateSubjectId(subject) is { } invalid) errors["subjectId"] = [invalid];
        if (!UxEvents.Types.Contains(request.Type)) errors["type"] = [$"type must be one of {string.Join(", ", UxEvents.Types)}."];
        if (!matrix.TryGetClass(request.OperationClass, out _)) errors["operationClass"] = [$"operationClass must be a class of the matrix ({string.Join(", ", matrix.OperationClasses.Select(c => c.Name))})."];
        if (errors.Count > 0) return Problems.Validation(errors);

        await events.RecordAsync(caller.TenantId, subject!, request.OperationClass!, request.Type!, clock.GetUtcNow(), cancellationToken);
        return TypedResults.Accepted((string?)null);
    }

    public static async Task<Results<Ok<UxMetricsResponse>, ValidationProblem>> Metrics(string? from, string? to, TenantContext caller, UxEvents events,
        EntitlementDependencies deps, TimeProvider clock, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        var end = QueryValues.Instant(to, "to", errors) ?? clock.GetUtcNow();
        var start = QueryValues.Instant(from, "from", errors) ?? end - DefaultPeriod;
        if (errors.Count == 0 && start >= end) errors["from"] = ["from must be before to."];
        if (errors.Count == 0 && end - start > MaxPeriod) errors["from"] = ["The period is at most 366 days."];
        if (errors.Count > 0) return Problems.Validation(errors);

        var classes = await events.MetricsAsync(caller.TenantId, start, end, deps.Thresholds.NudgeAt, deps.Thresholds.FinalWarningAt, cancellationToken);
        return TypedResults.Ok(new UxMetricsResponse(start.UtcDateTime, end.UtcDateTime, classes.Select(c => new UxClassMetrics(
            c.OperationClass, c.Subjects, Rate(c.SubjectsPastSoftLimit, c.Subjects), Rate(c.SubjectsAtHardLimit, c.Subjects), c.NudgesShown,
            c.SoftLimitHits, c.HardLimitHits, c.BannersShown, c.BannersDismissed, c.UpgradeClicks, Rate(c.UpgradeClicks, c.BannersShown),
            c.Stops, c.StoppedWithin60Seconds, Rate(c.StoppedWithin60Seconds, c.Stops))).ToList()));
    }

    private static double? Rate(long part, long whole) => whole == 0 ? null : Math.Round((double)part / whole, 4);
}
