using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using TenantQuota.Api.Auth;
using TenantQuota.Api.Errors;
using TenantQuota.Data.Governance;
using TenantQuota.Domain.Governance;

namespace TenantQuota.Api.Governance;

public sealed record CreateWebhookRequest(string? Url, List<string?>? Events);

public sealed record WebhookEndpointResponse(string Id, string Url, IReadOnlyList<string> Events, DateTime CreatedAt);

/// <summary>The one answer that carries the secret the deliveries are signed with.</summary>
public sealed record CreatedWebhookEndpointResponse(string Id, string Url, IReadOnlyList<string> Events, string Secret, DateTime CreatedAt);

public sealed record WebhookEndpointList(IReadOnlyList<WebhookEndpointResponse> Items);

/// <summary>POST, GET and DELETE /v1/tenant/webhooks (tenant.admin): where the caller's tenant wants its events delivered.</summary>
public static class Webhooks
{
    public const int MaxUrlLength = 2048, MaxEvents = 20;

    public static async Task<Results<Created<CreatedWebhookEndpointResponse>, ValidationProblem>> Create(
        CreateWebhookRequest? request, TenantContext caller, ClaimsPrincipal user, WebhookEndpoints endpoints, IOptions<GovernanceSettings> settings,
        CancellationToken cancellationToken)
    {
        if (request is null) return Problems.Validation("body", "A JSON body is required.");
        var url = request.Url?.Trim();
        var errors = new Dictionary<string, string[]>();
        if (UrlError(url, settings.Value.AllowLoopbackHttpWebhooks) is { } urlError) errors["url"] = [urlError];
        if (EventsError(request.Events) is { } eventsError) errors["events"] = [eventsError];
        if (errors.Count > 0) return Problems.Validation(errors);

        var events = request.Events!.Select(e => e!).Distinct().ToList();
        return await endpoints.CreateAsync(caller.TenantId, url!, events, Actor.Of(user), cancellationToken) switch
        {
            WebhookCreation.Created { Endpoint: var endpoint, Secret: var secret } => TypedResults.Created((string?)null,
                new CreatedWebhookEndpointResponse(endpoint.Id, endpoint.Url, endpoint.Events, secret, endpoint.CreatedAt.UtcDateTime)),
            // No problem type says "limit reached" with a 409, so this is a 400 like every other refused create.
            WebhookCreation.LimitReached => Problems.Validation("body",
                $"Your tenant has {WebhookEndpoints.MaxLivePerTenant} webhook endpoints, the most it may have: delete one before adding another."),
            _ => throw new TenantAccessException(ProblemTypes.TenantNotProvisioned,
                $"Tenant '{caller.TenantId}' named by the access token is not provisioned here."),
        };
    }

    public static async Task<Ok<WebhookEndpointList>> List(TenantContext caller, WebhookEndpoints endpoints, CancellationToken cancellationToken) =>
        TypedResults.Ok(new WebhookEndpointList([.. (await endpoints.ListAsync(caller.TenantId, cancellationToken))
            .Select(e => new WebhookEndpointResponse(e.Id, e.Url, e.Events, e.CreatedAt.UtcDateTime))]));

    /// <summary>Another tenant's endpoint answers 404, exactly like one that does not exist.</summary>
    public static async Task<Results<NoContent, ProblemHttpResult>> Delete(
        string id, TenantContext caller, ClaimsPrincipal user, WebhookEndpoints endpoints, CancellationToken cancellationToken) =>
        await endpoints.DeleteAsync(caller.TenantId, id, Actor.Of(user), cancellationToken)
            ? TypedResults.NoContent()
            : Problems.NotFound($"Your tenant has no webhook endpoint '{id}'.");

    /// <summary>Deliveries carry the tenant's data to this URL, so it must be https: plain http only to this machine, and only where allowed.</summary>
    private static string? UrlError(string? url, bool allowLoopbackHttp)
    {
        if (string.IsNullOrEmpty(url)) return "url is required.";
        if (url.Length > MaxUrlLength) return $"url is at most {MaxUrlLength} characters.";
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http"))
            return "url must be an absolute https URL, e.g. https://hooks.example/tq.";
        if (uri.Scheme == "http" && !(allowLoopbackHttp && uri.IsLoopback))
            return allowLoopbackHttp ? "url must use https (plain http only to 127.0.0.1 or localhost)." : "url must use https.";
        if (uri.UserInfo.Length > 0) return "url must not carry a user name or password.";
        if (url.Contains('#')) return "url must not have a fragment (#…).";
        return null;
    }

    private static string? EventsError(List<string?>? events)
    {
        var known = string.Join(", ", WebhookEvents.Patterns);
        if (events is null || events.Count == 0) return $"events is required: 1–{MaxEvents} of {known}.";
        if (events.Count > MaxEvents) return $"events has at most {MaxEvents} entries.";
        var unknown = events.Where(e => e is null || !WebhookEvents.Patterns.Contains(e)).Select(e => $"'{e}'").ToList();
        return unknown.Count > 0 ? $"Unknown event pattern {string.Join(", ", unknown)}; events are {known}." : null;
    }
}
