using System.Security.Claims;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.HttpResults;
using TenantQuota.Api.Auth;
using TenantQuota.Api.Errors;
using TenantQuota.Data.Governance;
using TenantQuota.Domain.Budgets;
using TenantQuota.Domain.Governance;
using TenantQuota.Domain.Matrix;

namespace TenantQuota.Api.Governance;

/// <param name="Level">department or subject.</param>
/// <param name="Action">degrade (every class but <see cref="FallbackClass"/> refused) or block.</param>
/// <param name="Hour">The start of the UTC hour that spiked; <see cref="EventId"/> is its alert.anomaly.</param>
public sealed record HoldResponse(string Level, string OwnerId, string Action, string? FallbackClass, DateTime HeldAt, DateTime Hour, string EventId,
    DateTime? ClearedAt, string? ClearedBy);

public sealed record HoldList(IReadOnlyList<HoldResponse> Items);

/// <summary>
/// The anomaly policy (PUT, GET, DELETE /v1/tenant/anomaly-policy) and the holds it places (GET /v1/tenant/anomaly-holds,
/// DELETE /v1/tenant/anomaly-holds/{level}/{ownerId} to clear one), tenant.admin, docs/decisions/0022.
/// </summary>
public static class AnomalyEndpoints
{
    private const string NoPolicy = "Your tenant has no anomaly policy; PUT /v1/tenant/anomaly-policy sets one.";

    public static async Task<Results<Ok<JsonObject>, ValidationProblem>> PutPolicy(JsonElement? body, TenantContext caller, ClaimsPrincipal user,
        QuotaMatrix matrix, AnomalyStore anomalies, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        if (body is not { } json || AnomalyPolicies.Parse(json, matrix, errors) is not { } policy)
            return Problems.Validation(errors.Count > 0 ? errors : new() { ["body"] = ["A JSON object { metric, minimumVolume, sensitivity, action, fallbackClass, levels }."] });
        await anomalies.SetPolicyAsync(caller.TenantId, policy, Actor.Of(user), cancellationToken);
        return TypedResults.Ok(AnomalyPolicies.ToJson(policy));
    }

    public static async Task<Results<Ok<JsonObject>, ProblemHttpResult>> GetPolicy(TenantContext caller, AnomalyStore anomalies, CancellationToken cancellationToken) =>
        await anomalies.GetPolicyAsync(caller.TenantId, cancellationToken) is { } policy
            ? TypedResults.Ok(AnomalyPolicies.ToJson(policy))
            : Problems.NotFound(NoPolicy);

    public static async Task<Results<NoContent, ProblemHttpResult>> DeletePolicy(TenantContext caller, ClaimsPrincipal user, AnomalyStore anomalies,
        CancellationToken cancellationToken) =>
        await anomalies.SetPolicyAsync(caller.TenantId, null, Actor.Of(user), cancellationToken) ? TypedResults.NoContent() : Problems.NotFound(NoPolicy);

    public static async Task<Results<Ok<HoldList>, ValidationProblem>> ListHolds(HttpRequest request, TenantContext caller, AnomalyStore anomalies,
        CancellationToken cancellationToken)
    {
        var include = request.Query["include"].ToString();
        if (include is not ("" or "cleared")) return Problems.Validation("include", "include: 'cleared' adds the holds cleared in the last 30 days.");
        var holds = await anomalies.ListHoldsAsync(caller.TenantId, include == "cleared", cancellationToken);
        return TypedResults.Ok(new HoldList(holds.Select(Response).ToList()));
    }

    public static HoldResponse Response(HoldRecord h) =>
        new(h.Level, h.OwnerId, h.Action, h.FallbackClass, h.HeldAt.UtcDateTime, h.Hour.UtcDateTime, h.EventId, h.ClearedAt?.UtcDateTime, h.ClearedBy);

    public static Task<Results<NoContent, ValidationProblem, ProblemHttpResult>> ClearHold(string level, string ownerId, HttpContext http, TenantContext caller,
        ClaimsPrincipal user, AnomalyStore anomalies, CancellationToken cancellationToken) =>
        Clear(level, RawPaths.Between(http, $"/v1/tenant/anomaly-holds/{level}/") ?? ownerId, caller, user, anomalies, cancellationToken);

    public static async Task<Results<NoContent, ValidationProblem, ProblemHttpResult>> Clear(string level, string ownerId, TenantContext caller,
        ClaimsPrincipal user, AnomalyStore anomalies, CancellationToken cancellationToken)
    {
        if (!BudgetNames.TryParseLevel(level, out var parsed) || parsed == QuotaLevel.Tenant)
            return Problems.Validation("level", "level: department or subject.");
        return await anomalies.ClearHoldAsync(caller.TenantId, parsed, ownerId, Actor.Of(user), cancellationToken)
            ? TypedResults.NoContent()
            : Problems.NotFound($"No open hold on {level} '{ownerId}'.");
    }
}
