using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace TenantQuota.Api.Hosting;

/// <summary>
/// The OpenAPI document's metadata that does not come from the endpoints themselves: title and
/// description, the bearer scheme, tag descriptions, and servers without a trailing slash.
/// </summary>
public static class OpenApiDocumentSetup
{
    public static IServiceCollection AddTenantQuotaOpenApi(this IServiceCollection services) =>
        services.AddOpenApi(options => options.AddDocumentTransformer<DocumentMetadata>());

    private sealed class DocumentMetadata : IOpenApiDocumentTransformer
    {
        public Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
        {
            document.Info.Title = "TenantQuota API";
            document.Info.Version = "v1";
            document.Info.Description = "Multi-tenant quota, entitlement and usage-billing API. Every /v1 endpoint takes an OIDC " +
                "access token (RFC 9068) for audience tenantquota-api; the tenant comes only from its tenant_id claim. " +
                "Errors are RFC 9457 problem+json with a stable type per status.";
            document.Info.License = new OpenApiLicense { Name = "Proprietary", Url = new Uri("https://docs.tenantquota.dev/license") };
            foreach (var server in document.Servers ?? [])
                server.Url = server.Url?.TrimEnd('/');

            document.Components ??= new OpenApiComponents();
            document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
            document.Components.SecuritySchemes["bearer"] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "bearer",
                BearerFormat = "JWT",
                Description = "An OIDC access token (RFC 9068, typ at+jwt) for audience tenantquota-api with tenant_id and scope claims.",
            };
            document.Security ??= [];
            document.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference("bearer", document)] = [] });

            document.Tags = new HashSet<OpenApiTag>
            {
                new() { Name = "Entitlements", Description = "Ask, record and read quota: the hot path." },
                new() { Name = "Plans", Description = "The quota matrix: tiers × operation classes." },
                new() { Name = "Tenants", Description = "Tenant administration by the platform operator." },
                new() { Name = "Clients", Description = "API credentials for a tenant's back ends (client-credentials clients of the bundled identity provider)." },
                new() { Name = "Budgets", Description = "A tenant's own AI budgets: the tenant-wide budget, departments with budgets and priorities, and people placed in them with their own overrides." },
                new() { Name = "Billing", Description = "Stripe: the catalogue of tiers and overage meters, checkout and the billing portal for tenant admins, and the webhook that moves tiers." },
                new() { Name = "End users", Description = "What an end user's browser reaches: view tokens and the embeddable meter's usage read (GET /widget/tq-quota.js is the meter)." },
                new() { Name = "Governance", Description = "A tenant's alerts and the webhook endpoints they are delivered to, signed with each endpoint's secret." },
            };
            return Task.CompletedTask;
        }
    }
}
