using TenantQuota.Api.Auth;

namespace TenantQuota.Api.Entitlements;

/// <summary>The entitlement routes: check, consume and a subject's usage.</summary>
public static class EntitlementsApi
{
    public static RouteGroupBuilder MapEntitlements(this RouteGroupBuilder v1)
    {
        var entitlements = v1.MapGroup("").WithTags("Entitlements");
        entitlements.MapPost("/entitlements/check", CheckEndpoint.Handle)
            .RequireAuthorization(Scopes.QuotaCheck)
            .WithName("checkEntitlement")
            .WithSummary("Ask whether a subject may do an operation now")
            .WithDescription("Decides as consume would, from the subject's usage in the current window, and records nothing. " +
                "A denial is an answer (200 with allowed: false), not an error. Scope quota.check.");
        entitlements.MapPost("/entitlements/consume", ConsumeEndpoint.Handle)
            .RequireAuthorization(Scopes.QuotaConsume)
            .WithName("consumeEntitlement")
            .WithSummary("Decide and, when allowed, record usage atomically")
            .WithDescription("Idempotent on idempotencyKey: the same key with the same body answers the first answer again " +
                "(duplicate: true) and records nothing more; with another body it is a 409. A block or degrade cell never " +
                "lets used pass hardLimit, under any concurrency. Scope quota.consume.")
            .ProducesProblem(StatusCodes.Status409Conflict);
        entitlements.MapGet("/subjects/{subjectId}/usage", UsageEndpoint.Handle)
            .RequireAuthorization(Scopes.QuotaCheck)
            .WithName("getSubjectUsage")
            .WithSummary("Read a subject's usage of every operation class")
            .WithDescription("Every class of the tenant's tier in its current window, with the copy to show the subject. Scope quota.check.");
        return v1;
    }
}
