using Microsoft.AspNetCore.Http.Features;
using TenantQuota.Api.Auth;
using Microsoft.AspNetCore.Http.HttpResults;
using TenantQuota.Copy;
using TenantQuota.Api.Errors;
using TenantQuota.Domain;
using TenantQuota.Domain.Budgets;

namespace TenantQuota.Api.Entitlements;

public sealed record UsageResponse(string SubjectId, string Tier, IReadOnlyList<ClassUsage> Classes);

/// <summary>A class in its window. DisplayName, ResetsIn and ResetsAtLocal extend the contract: in the
/// caller's language and the tenant's time zone, for a meter that shows them as they are.</summary>
public sealed record ClassUsage(
    string OperationClass, long Used, long SoftLimit, long HardLimit, long Remaining, DateTime ResetsAt, string State, QuotaMessage? Message,
    string DisplayName, string ResetsIn, string ResetsAtLocal, string LimitingLevel, IReadOnlyList<LevelAnswer> Levels);

/// <summary>GET /v1/subjects/{subjectId}/usage: every class in its current window.</summary>
public static class UsageEndpoint
{
    public static async Task<Results<Ok<UsageResponse>, ValidationProblem>> Handle(
        string subjectId, TenantContext caller, EntitlementDependencies deps, HttpContext http, CancellationToken cancellationToken)
    {
        subjectId = RawPaths.Between(http, "/v1/subjects/", "/usage") ?? subjectId;
        if (EntitlementRequest.ValidateSubjectIdToRead(subjectId) is { } invalid)
            return Problems.Validation("subjectId", invalid);
        return TypedResults.Ok(await AnswerAsync(subjectId, caller, deps, http, cancellationToken));
    }

    /// <summary>Every class of the subject in its current window, with its copy in the request's language.</summary>
    public static async Task<UsageResponse> AnswerAsync(string subjectId, TenantContext caller, EntitlementDependencies deps, HttpContext http, CancellationToken cancellationToken)
    {
        var now = deps.Now();
        var locale = deps.Locale(http.Request);
        return await deps.WithCurrentTenantAsync(caller, async tenant =>
        {
            var subject = tenant.HasSubjects ? await deps.Budgets.FindSubjectAsync(tenant.Id, subjectId, cancellationToken) : null;
            var department = tenant.Department(subject?.DepartmentId);
            var classes = deps.Matrix.OperationClasses
                .Select(c => (c.Name, Cell: deps.SubjectCell(tenant, subject, c.Name),
                    Lines: ChargePlan.For(tenant.Id, tenant.Budget, department, subjectId, c.Name, deps.SubjectCell(tenant, subject, c.Name),
                        new UsageAmount(0, c.Unit), tenant.Zone, now, deps.Shares)))
                .Select(c => (c.Name, c.Cell, c.Lines, Window: c.Lines[^1].Window))
                .ToList();
            var used = await deps.Ledger.ReadAllUsedAsync(tenant, subjectId, classes.Select(c => (c.Name, c.Window)).ToList(), cancellationToken);
            if (used is null) return null;
            // The budget lines are the same for every class: read them once.
            var budgetLines = classes[0].Lines.Take(classes[0].Lines.Count - 1).ToList();
            var budgetCounts = budgetLines.Count == 0 ? [] : await deps.Ledger.ReadCountedAsync(tenant, budgetLines, cancellationToken);
            if (budgetCounts is null) return null;

            var words = deps.Copy.Words(locale);
            var answer = classes.Select(c =>
            {
                var count = used[c.Name];
                var levels = LevelRules.Decide(c.Lines, [.. budgetCounts, count]);
                var resetsAt = c.Window.End.InZone(tenant.Zone);
                var stage = QuotaStages.ForUsage(c.Cell, count, deps.Thresholds);
                return new ClassUsage(c.Name, count, c.Cell.SoftLimit, c.Cell.HardLimit, QuotaRules.Remaining(c.Cell, count), c.Window.End.ToDateTimeUtc(),
                    QuotaRules.StateOf(c.Cell, count).WireName(),
                    deps.Message(tenant, tenant.Tier, c.Name, c.Cell, c.Window, stage, requested: 0, count, billable: 0, denied: false, now, locale),
                    Capitalized(words.Class(c.Name).Other), words.Relative(now, resetsAt), $"{words.Absolute(resetsAt)} ({resetsAt.Zone.Id})",
                    levels.LimitingLevel.ToWireName(), levels.Levels.Select(l => QuotaAnswers.Level(deps, l)).ToList());
            }).ToList();
            return new UsageResponse(subjectId, tenant.Tier, answer);
        }, cancellationToken);
    }

    private static string Capitalized(string text) => text.Length == 0 ? text : char.ToUpperInvariant(text[0]) + text[1..];
}
