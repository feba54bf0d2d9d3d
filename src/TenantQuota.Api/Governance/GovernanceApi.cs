using TenantQuota.Api.Auth;
using TenantQuota.Api.Hosting;
using TenantQuota.Data.Governance;
using TenantQuota.Domain.Governance;

namespace TenantQuota.Api.Governance;

/// <summary>Governance__*.</summary>
public sealed class GovernanceSettings
{
    /// <summary>
    /// Lets webhook endpoints be plain http to 127.0.0.1 or localhost (Governance__AllowLoopbackHttpWebhooks): for a stack
    /// that runs on one machine, such as scripts/start.sh's. Everywhere else deliveries go over https only.
    /// </summary>
    public bool AllowLoopbackHttpWebhooks { get; set; }
}

/// <summary>The governance routes (tenant.admin, the caller's own tenant): webhook endpoints and the alert list.</summary>
public static class GovernanceApi
{
    public static IServiceCollection AddGovernance(this IServiceCollection services)
    {
        services.AddOptions<GovernanceSettings>().BindConfiguration("Governance");
        services.AddSingleton<WebhookEndpoints>();
        services.AddSingleton<TenantEvents>();
        return services;
    }

    public static RouteGroupBuilder MapGovernance(this RouteGroupBuilder v1)
    {
        var tenant = v1.MapGroup("/tenant").RequireAuthorization(Scopes.TenantAdmin).WithTags("Governance");
        tenant.MapPost("/webhooks", Webhooks.Create)
            .WithName("CreateWebhookEndpoint")
            .WithSummary("Register a URL to receive your tenant's events")
            .WithDescription("{ \"url\": \"https://hooks.example/tq\", \"events\": [\"alert.*\"] }. url: absolute https, up to " +
                $"{Webhooks.MaxUrlLength} characters, no user name or fragment. events: 1–{Webhooks.MaxEvents} of {string.Join(", ", WebhookEvents.Patterns)}. " +
                "Answers the endpoint with its secret, which signs every delivery (Tq-Signature) and is in this answer only. At most " +
                $"{WebhookEndpoints.MaxLivePerTenant} endpoints per tenant. Audited. Scope tenant.admin.")
            .AcceptsJsonBody();
        tenant.MapGet("/webhooks", Webhooks.List)
            .WithName("ListWebhookEndpoints")
            .WithSummary("List your tenant's webhook endpoints")
            .WithDescription("Oldest first, without secrets. Scope tenant.admin.");
        tenant.MapDelete("/webhooks/{id}", Webhooks.Delete)
            .WithName("DeleteWebhookEndpoint")
            .WithSummary("Stop delivering events to a webhook endpoint")
            .WithDescription("It gets no event from now on. Another tenant's endpoint answers 404, like one that does not exist. Audited. " +
                "Scope tenant.admin.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        tenant.MapGet("/alerts", AlertsEndpoint.Handle)
            .WithName("ListAlerts")
            .WithSummary("Read your tenant's alerts and other events")
            .WithDescription("Each as webhooks deliver it: { id, type, createdAt, tenantId, data }. Newest first; filter by time (from, to: " +
                $"ISO 8601 instants) and by type (a type, alert.* or *); limit 1–{AlertsEndpoint.MaxLimit} (default {AlertsEndpoint.DefaultLimit}). Scope tenant.admin.");
        return v1;
    }
}
