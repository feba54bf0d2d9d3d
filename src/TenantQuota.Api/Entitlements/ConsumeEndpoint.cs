using Microsoft.AspNetCore.Http.HttpResults;
using TenantQuota.Api.Auth;
using TenantQuota.Api.Errors;
using TenantQuota.Data;
using TenantQuota.Domain.Budgets;

namespace TenantQuota.Api.Entitlements;

/// <summary>
/// POST /v1/entitlements/consume: decides and, when allowed, records, atomically and idempotently, at
/// every level that applies. The same key with the same body answers the first answer again; with another
/// body, 409.
/// </summary>
public static class ConsumeEndpoint
{
    public static async Task<Results<Ok<DecisionResponse>, ValidationProblem, ProblemHttpResult>> Handle(
        EntitlementRequest? request, TenantContext caller, EntitlementDependencies deps, HttpContext http, CancellationToken cancellationToken) =>
        await ChargeAsync(request, reserve: false, caller, deps, http, cancellationToken);

    /// <summary>Consume, or reserve (<paramref name="reserve"/>): the same transaction over every level, recorded as a usage record or a hold.</summary>
    public static async Task<Results<Ok<DecisionResponse>, ValidationProblem, ProblemHttpResult>> ChargeAsync(
        EntitlementRequest? request, bool reserve, TenantContext caller, EntitlementDependencies deps, HttpContext http, CancellationToken cancellationToken)
    {
        if (EntitlementRequest.Validate(request, deps.Matrix, deps.Prices, reserve ? EntitlementMode.Reserve : EntitlementMode.Consume) is { Count: > 0 } errors)
            return Problems.Validation(errors);

        var now = deps.Now();
        return await deps.WithCurrentTenantAsync<Results<Ok<DecisionResponse>, ValidationProblem, ProblemHttpResult>>(caller, async tenant =>
        {
            var (plan, problem) = await deps.PlanAsync(tenant, request!, now, cancellationToken);
            if (plan is null) return Problems.Validation("model", problem!);
            var usage = plan.Usage;
            // A burst allowance is for consumes: a hold that was released would have to give it back.
            var lines = reserve ? plan.Lines.Select(l => l with { Burst = null }).ToList() : plan.Lines;
            var result = await deps.Ledger.ChargeAsync(new ChargeCommand(reserve, tenant, request!.IdempotencyKey!, request.SubjectId!,
                request.OperationClass!, usage.Quantity, plan.DepartmentId, request.Model, request.Tokens is null ? null : usage.InputTokens,
                request.Tokens is null ? null : usage.OutputTokens, request.Model is null ? null : usage.CostMicroUsd, deps.Matrix.Version, lines,
                reserve ? now.Plus(NodaTime.Duration.FromSeconds(request.TtlSeconds ?? EntitlementRequest.DefaultTtlSeconds)) : null, now),
                cancellationToken);
            if (result.Outcome == ChargeOutcome.StaleTenant) return null;

            var record = result.Record!;
            var duplicate = result.Outcome == ChargeOutcome.Existing;
            if (duplicate && !SameRequest(record, request, usage))
                return Problems.Conflict(ProblemTypes.IdempotencyConflict, "Idempotency key reused.",
                    $"The idempotency key '{request.IdempotencyKey}' was already used with a different request " +
                    $"(subject '{record.SubjectId}', class '{record.OperationClass}', quantity {record.Quantity}" +
                    (record.Model is null ? "" : $", model '{record.Model}'") + ").");

            // The answer is rebuilt from the stored charge, so a replay tells exactly what the first request was told.
            var decision = LevelRules.Decide(record.Lines, record.Before, burstBefore: record.BurstBefore);
            var admitted = reserve ? record.Status != "denied" : record.Recorded;
            if (decision.Allowed != admitted)
                throw new InvalidOperationException($"Charge {record.Id}: the ledger and the rules disagree about admission.");
            var subject = decision.Levels.First(l => l.Charge.Level == QuotaLevel.Subject).Charge;
            QuotaAnswers.WriteHeaders(http.Response, record.OperationClass, subject.Cell, subject.Window, decision.Subject.Remaining, now.ToDateTimeUtc());
            var answer = QuotaAnswers.Answer(deps, tenant, deps.Locale(http.Request), now, record.Tier, record.OperationClass, decision, record.Quantity,
                recorded: !reserve && record.Recorded, duplicate, record.Model) with
            {
                Model = record.Model,
                CostUsd = QuotaAnswers.Dollars(record.CostMicroUsd),
            };
            deps.Metrics.Decided(reserve ? "reserve" : "consume", answer.OperationClass, answer.Decision, duplicate);
            return TypedResults.Ok(reserve
                ? answer with { ReservationId = admitted ? record.Id : null, Status = record.Status, ExpiresAt = admitted ? record.ExpiresAt?.ToDateTimeUtc() : null }
                : answer);
        }, cancellationToken);
    }

    private static bool SameRequest(ChargeRecord record, EntitlementRequest request, UsageAmount usage) =>
        record.SubjectId == request.SubjectId && record.OperationClass == request.OperationClass && record.Quantity == usage.Quantity
        && record.Model == request.Model && (record.InputTokens ?? 0) == usage.InputTokens && (record.OutputTokens ?? 0) == usage.OutputTokens;
}
