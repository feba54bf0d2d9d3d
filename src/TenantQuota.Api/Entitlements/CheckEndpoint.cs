using Microsoft.AspNetCore.Http.HttpResults;
using TenantQuota.Api.Auth;
using TenantQuota.Api.Errors;
using TenantQuota.Domain.Budgets;

namespace TenantQuota.Api.Entitlements;

/// <summary>POST /v1/entitlements/check: may this subject do this now? Records nothing.</summary>
public static class CheckEndpoint
{
    public static async Task<Results<Ok<DecisionResponse>, ValidationProblem>> Handle(
        EntitlementRequest? request, TenantContext caller, EntitlementDependencies deps, HttpContext http, CancellationToken cancellationToken)
    {
        if (EntitlementRequest.Validate(request, deps.Matrix, deps.Prices, EntitlementMode.Check) is { Count: > 0 } errors)
            return Problems.Validation(errors);

        var now = deps.Now();
        return await deps.WithCurrentTenantAsync<Results<Ok<DecisionResponse>, ValidationProblem>>(caller, async tenant =>
        {
            var (plan, problem) = await deps.PlanAsync(tenant, request!, now, cancellationToken);
            if (plan is null) return Problems.Validation("model", problem!);
            var lines = plan.Lines;
            if (await deps.ReadCountedAsync(tenant, lines, cancellationToken) is not { } read) return null;

            var decision = LevelRules.Decide(lines, read.Counted, burstBefore: read.BurstBefore);
            var subject = lines[^1];
            QuotaAnswers.WriteHeaders(http.Response, subject.Metric, subject.Cell, subject.Window, decision.Subject.Remaining, now.ToDateTimeUtc());
            var answer = QuotaAnswers.Answer(deps, tenant, deps.Locale(http.Request), now, tenant.Tier, request!.OperationClass!,
                decision, plan.Usage.Quantity, recorded: false, duplicate: false, request.Model) with
            {
                Model = request.Model, CostUsd = request.Model is null ? null : QuotaAnswers.Dollars(plan.Usage.CostMicroUsd),
            };
            deps.Metrics.Decided("check", answer.OperationClass, answer.Decision, duplicate: false);
            return TypedResults.Ok(answer);
        }, cancellationToken);
    }
}
