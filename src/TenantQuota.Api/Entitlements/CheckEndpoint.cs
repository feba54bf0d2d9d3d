using Microsoft.AspNetCore.Http.HttpResults;
using TenantQuota.Api.Auth;
using TenantQuota.Api.Errors;
using TenantQuota.Domain;

namespace TenantQuota.Api.Entitlements;

/// <summary>POST /v1/entitlements/check: may this subject do this now? Records nothing.</summary>
public static class CheckEndpoint
{
    public static async Task<Results<Ok<DecisionResponse>, ValidationProblem>> Handle(
        EntitlementRequest? request, TenantContext caller, EntitlementDependencies deps, HttpContext http, CancellationToken cancellationToken)
    {
        if (EntitlementRequest.Validate(request, deps.Matrix, requireIdempotencyKey: false) is { Count: > 0 } errors)
            return Problems.Validation(errors);

        var now = deps.Now();
        return await deps.WithCurrentTenantAsync(caller, async tenant =>
        {
            var cell = tenant.Cell(deps.Matrix, request!.OperationClass!);
            var window = QuotaWindow.Containing(now, cell.Reset, tenant.Zone);
            if (await deps.Ledger.ReadUsedAsync(tenant, request.SubjectId!, request.OperationClass!, window.Start, cancellationToken) is not { } used)
                return null;

            var outcome = QuotaRules.Decide(cell, used, request.QuantityOrOne);
            QuotaAnswers.WriteHeaders(http.Response, request.OperationClass!, cell, window, outcome.Remaining, now.ToDateTimeUtc());
            return TypedResults.Ok(QuotaAnswers.Answer(deps, tenant, deps.Locale(http.Request), now,
                tenant.Tier, request.OperationClass!, cell, window, request.QuantityOrOne, outcome, recorded: false, duplicate: false));
        }, cancellationToken);
    }
}
