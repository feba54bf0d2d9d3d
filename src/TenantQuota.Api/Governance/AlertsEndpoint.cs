using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.HttpResults;
using TenantQuota.Api.Auth;
using TenantQuota.Api.Errors;
using TenantQuota.Data.Governance;
using TenantQuota.Domain.Governance;

namespace TenantQuota.Api.Governance;

/// <summary>An event as webhooks deliver it: { id, type, createdAt, tenantId, data }.</summary>
public sealed record TenantEventResponse(string Id, string Type, DateTime CreatedAt, string TenantId, JsonNode Data);

public sealed record TenantEventList(IReadOnlyList<TenantEventResponse> Items);

/// <summary>GET /v1/tenant/alerts (tenant.admin): the tenant's events, newest first.</summary>
public static class AlertsEndpoint
{
    public const int DefaultLimit = 100, MaxLimit = 500;

    public static async Task<Results<Ok<TenantEventList>, ValidationProblem>> Handle(string? from, string? to, string? type, int? limit,
        TenantContext caller, TenantEvents events, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        var start = QueryValues.Instant(from, "from", errors);
        var end = QueryValues.Instant(to, "to", errors);
        if (type is not null && !WebhookEvents.Patterns.Contains(type)) errors["type"] = [$"type must be one of {string.Join(", ", WebhookEvents.Patterns)}."];
        if (limit is < 1 or > MaxLimit) errors["limit"] = [$"limit must be between 1 and {MaxLimit}."];
        if (errors.Count > 0) return Problems.Validation(errors);

        var read = await events.ReadAsync(caller.TenantId, start, end, type, limit ?? DefaultLimit, cancellationToken);
        return TypedResults.Ok(new TenantEventList([.. read.Select(e => new TenantEventResponse(e.Id, e.Type, e.CreatedAt.UtcDateTime, e.TenantId, e.Data))]));
    }
}
