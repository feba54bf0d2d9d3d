using Microsoft.AspNetCore.Http.HttpResults;
using TenantQuota.Api.Auth;
using TenantQuota.Api.Errors;
using TenantQuota.Data;
using TenantQuota.Domain;

namespace TenantQuota.Api.Entitlements;

/// <summary>
/// POST /v1/entitlements/consume: decides and, when allowed, records, atomically and idempotently.
/// The same key with the same body answers the first answer again; with another body, 409.
/// </summary>
public static class ConsumeEndpoint
{
    public static async Task<Results<Ok<DecisionResponse>, ValidationProblem, ProblemHttpResult>> Handle(
        EntitlementRequest? request, TenantContext caller, EntitlementDependencies deps, HttpContext http, CancellationToken cancellationToken)
    {
        if (EntitlementRequest.Validate(request, deps.Matrix, requireIdempotencyKey: true) is { Count: > 0 } errors)
            return Problems.Validation(errors);

        var now = deps.Now();
        return await deps.WithCurrentTenantAsync<Results<Ok<DecisionResponse>, ValidationProblem, ProblemHttpResult>>(caller, async tenant =>
        {
            var cell = tenant.Cell(deps.Matrix, request!.OperationClass!);
            var window = QuotaWindow.Containing(now, cell.Reset, tenant.Zone);
            var result = await deps.Ledger.ConsumeAsync(new ConsumeCommand(tenant, request.IdempotencyKey!, request.SubjectId!,
                request.OperationClass!, request.QuantityOrOne, cell, deps.Matrix.Version, window, now), cancellationToken);
            if (result.Outcome == ConsumeOutcome.StaleTenant) return null;

            var record = result.Record!;
            var duplicate = result.Outcome == ConsumeOutcome.Existing;
            if (duplicate && !SameRequest(record, request))
                return Problems.Conflict(ProblemTypes.IdempotencyConflict, "Idempotency key reused.",
                    $"The idempotency key '{request.IdempotencyKey}' was already used with a different request " +
                    $"(subject '{record.SubjectId}', class '{record.OperationClass}', quantity {record.Quantity}).");

            // The answer is rebuilt from the stored record, so a replay tells exactly what the first request was told.
            var outcome = QuotaRules.Decide(record.Cell, record.UsedBefore, record.Quantity);
            if (outcome.Allowed != record.Recorded)
                throw new InvalidOperationException($"Usage record {record.Id}: the ledger and the rules disagree about admission.");
            QuotaAnswers.WriteHeaders(http.Response, record.OperationClass, record.Cell, record.Window, outcome.Remaining, now.ToDateTimeUtc());
            return TypedResults.Ok(QuotaAnswers.Answer(deps, tenant, deps.Locale(http.Request), now,
                record.Tier, record.OperationClass, record.Cell, record.Window, record.Quantity, outcome, record.Recorded, duplicate));
        }, cancellationToken);
    }

    private static bool SameRequest(UsageRecord record, EntitlementRequest request) =>
        record.SubjectId == request.SubjectId && record.OperationClass == request.OperationClass && record.Quantity == request.QuantityOrOne;
}
