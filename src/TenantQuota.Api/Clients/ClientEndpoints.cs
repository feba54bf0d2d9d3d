using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using TenantQuota.Api.Auth;
using TenantQuota.Api.Errors;
using TenantQuota.Api.Hosting;
using TenantQuota.Data;
using TenantQuota.Data.Audit;
using TenantQuota.Identity.Store;

namespace TenantQuota.Api.Clients;

public sealed record CreateClientRequest(string? Name, List<string?>? Scopes);

public sealed record ClientResponse(string ClientId, string Name, IReadOnlyList<string> Scopes, DateTime CreatedAt)
{
    public static ClientResponse From(ApiClientInfo c) => new(c.ClientId, c.Name, c.Scopes, c.CreatedAt.UtcDateTime);
}

/// <summary>The one answer that carries the secret; it is stored hashed and cannot be read again.</summary>
public sealed record CreatedClientResponse(string ClientId, string ClientSecret, string Name, IReadOnlyList<string> Scopes, DateTime CreatedAt);

public sealed record ClientListResponse(IReadOnlyList<ClientResponse> Items);

/// <summary>
/// API credentials for a tenant's back ends: client-credentials clients of the identity provider,
/// bound to the tenant. The platform operator manages any tenant's (/v1/tenants/{id}/clients); a tenant
/// administrator manages their own (/v1/tenant/clients, the tenant taken from the token). The registry
/// shared with the identity host (<see cref="ApiClients"/>) holds the scope rules.
/// </summary>
public static class ClientEndpoints
{
    public static RouteGroupBuilder MapClients(this RouteGroupBuilder v1)
    {
        var anyTenant = v1.MapGroup("/tenants/{id}/clients").RequireAuthorization(Scopes.PlatformAdmin).WithTags("Clients");
        anyTenant.MapPost("/", CreateForTenant)
            .WithName("CreateTenantClient")
            .WithSummary("Create API credentials for a tenant")
            .WithDescription("A client-credentials client of the identity provider whose tokens carry this tenant's tenant_id. " +
                "The secret is in this answer only (it is stored hashed). Grantable scopes: quota.check, quota.consume, " +
                "tenant.admin. Scope platform.admin.")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .AcceptsJsonBody();
        anyTenant.MapGet("/", ListForTenant)
            .WithName("ListTenantClients")
            .WithSummary("List a tenant's API clients")
            .WithDescription("Without secrets. Scope platform.admin.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        anyTenant.MapDelete("/{clientId}", RevokeForTenant)
            .WithName("RevokeTenantClient")
            .WithSummary("Revoke a tenant's API client")
            .WithDescription("The identity provider issues it no more tokens from now on; tokens it already has live out " +
                "their lifetime (minutes). Scope platform.admin.")
            .ProducesProblem(StatusCodes.Status404NotFound);

        var ownTenant = v1.MapGroup("/tenant/clients").RequireAuthorization(Scopes.TenantAdmin).WithTags("Clients");
        ownTenant.MapPost("/", Create)
            .WithName("CreateClient")
            .WithSummary("Create API credentials for your tenant")
            .WithDescription("As the platform operator's variant, for the tenant of the caller's token. Grantable scopes: " +
                "quota.check, quota.consume, tenant.admin (never platform.admin). Scope tenant.admin.")
            .AcceptsJsonBody();
        ownTenant.MapGet("/", List)
            .WithName("ListClients")
            .WithSummary("List your tenant's API clients")
            .WithDescription("Without secrets. Scope tenant.admin.");
        ownTenant.MapDelete("/{clientId}", Revoke)
            .WithName("RevokeClient")
            .WithSummary("Revoke one of your tenant's API clients")
            .WithDescription("Another tenant's client answers 404, like one that does not exist. Scope tenant.admin.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        return v1;
    }

    public static async Task<Results<Created<CreatedClientResponse>, ValidationProblem, ProblemHttpResult>> CreateForTenant(
        string id, CreateClientRequest? request, TenantQuotaDb db, ApiClients clients, ClaimsPrincipal user, AuditLog audit, TimeProvider clock,
        CancellationToken cancellationToken) =>
        await TenantExists(db, id, cancellationToken)
            ? await CreateFor(id, request, clients, new Audited(audit, Actor.Of(user), clock), cancellationToken)
            : UnknownTenant(id);

    public static async Task<Results<Ok<ClientListResponse>, ProblemHttpResult>> ListForTenant(
        string id, TenantQuotaDb db, ApiClients clients, CancellationToken cancellationToken) =>
        await TenantExists(db, id, cancellationToken)
            ? await ListFor(id, clients, cancellationToken)
            : UnknownTenant(id);

    public static async Task<Results<NoContent, ProblemHttpResult>> RevokeForTenant(
        string id, string clientId, TenantQuotaDb db, ApiClients clients, ClaimsPrincipal user, AuditLog audit, TimeProvider clock,
        CancellationToken cancellationToken) =>
        await TenantExists(db, id, cancellationToken)
            ? await RevokeFor(id, clientId, clients, new Audited(audit, Actor.Of(user), clock), cancellationToken)
            : UnknownTenant(id);

    public static async Task<Results<Created<CreatedClientResponse>, ValidationProblem, ProblemHttpResult>> Create(
        TenantContext tenant, CreateClientRequest? request, TenantQuotaDb db, ApiClients clients, ClaimsPrincipal user, AuditLog audit, TimeProvider clock,
        CancellationToken cancellationToken)
    {
        await RequireProvisioned(db, tenant, cancellationToken);
        return await CreateFor(tenant.TenantId, request, clients, new Audited(audit, Actor.Of(user), clock), cancellationToken);
    }

    public static async Task<Ok<ClientListResponse>> List(TenantContext tenant, TenantQuotaDb db, ApiClients clients, CancellationToken cancellationToken)
    {
        await RequireProvisioned(db, tenant, cancellationToken);
        return await ListFor(tenant.TenantId, clients, cancellationToken);
    }

    /// <summary>Another tenant's client id answers 404, exactly like one that does not exist.</summary>
    public static async Task<Results<NoContent, ProblemHttpResult>> Revoke(
        TenantContext tenant, string clientId, TenantQuotaDb db, ApiClients clients, ClaimsPrincipal user, AuditLog audit, TimeProvider clock,
        CancellationToken cancellationToken)
    {
        await RequireProvisioned(db, tenant, cancellationToken);
        return await RevokeFor(tenant.TenantId, clientId, clients, new Audited(audit, Actor.Of(user), clock), cancellationToken);
    }

    private static async Task<Results<Created<CreatedClientResponse>, ValidationProblem, ProblemHttpResult>> CreateFor(
        string tenantId, CreateClientRequest? request, ApiClients clients, Audited audited, CancellationToken cancellationToken)
    {
        if (request is null) return Problems.Validation("body", "A JSON body is required.");
        var errors = ApiClients.Validate(request.Name, request.Scopes);
        if (errors.Count > 0) return Problems.Validation(errors);

        var created = await clients.CreateAsync(tenantId, request.Name!, request.Scopes!.Select(s => s!).ToList(), cancellationToken);
        var client = created.Client;
        await audited.Log.AppendAsync(new AuditEntry(tenantId, AuditLog.Client, "created", client.ClientId, audited.Actor, audited.Clock.GetUtcNow(), null,
            new { name = client.Name, scopes = client.Scopes }), cancellationToken);
        return TypedResults.Created((string?)null,
            new CreatedClientResponse(client.ClientId, created.ClientSecret, client.Name, client.Scopes, client.CreatedAt.UtcDateTime));
    }

    private static async Task<Ok<ClientListResponse>> ListFor(string tenantId, ApiClients clients, CancellationToken cancellationToken) =>
        TypedResults.Ok(new ClientListResponse([.. (await clients.ListAsync(tenantId, cancellationToken)).Select(ClientResponse.From)]));

    private static async Task<Results<NoContent, ProblemHttpResult>> RevokeFor(string tenantId, string clientId, ApiClients clients, Audited audited,
        CancellationToken cancellationToken)
    {
        if (!await clients.RevokeAsync(tenantId, clientId, cancellationToken)) return Problems.NotFound($"Tenant '{tenantId}' has no API client '{clientId}'.");
        await audited.Log.AppendAsync(new AuditEntry(tenantId, AuditLog.Client, "revoked", clientId, audited.Actor, audited.Clock.GetUtcNow(), null, null), cancellationToken);
        return TypedResults.NoContent();
    }

    /// <summary>Where a change is written down, and who made it. The identity store is another database context, so the entry follows the change.</summary>
    private sealed record Audited(AuditLog Log, string Actor, TimeProvider Clock);

    private static Task<bool> TenantExists(TenantQuotaDb db, string id, CancellationToken cancellationToken) =>
        db.Tenants.AnyAsync(t => t.Id == id, cancellationToken);

    private static ProblemHttpResult UnknownTenant(string id) => Problems.NotFound($"There is no tenant '{id}'.");

    /// <summary>As everywhere else: a token for a tenant the platform never created acts for nothing (403).</summary>
    private static async Task RequireProvisioned(TenantQuotaDb db, TenantContext tenant, CancellationToken cancellationToken)
    {
        if (!await TenantExists(db, tenant.TenantId, cancellationToken))
            throw new TenantAccessException(ProblemTypes.TenantNotProvisioned, $"Tenant '{tenant.TenantId}' named by the access token is not provisioned here.");
    }
}
