using System.Buffers.Text;
using System.Collections.Immutable;
using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using OpenIddict.Abstractions;
using OpenIddict.Core;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace TenantQuota.Identity.Store;

public sealed record ApiClientInfo(string ClientId, string Name, IReadOnlyList<string> Scopes, DateTimeOffset CreatedAt);

/// <summary>A client just created: the only moment its secret is known in clear.</summary>
public sealed record NewApiClient(ApiClientInfo Client, string ClientSecret);

/// <summary>
/// A tenant's API credentials: OpenIddict confidential applications for the client-credentials
/// grant, bound to the tenant by <see cref="ClientApplication.TenantId"/>. OpenIddict stores the
/// secret hashed; deleting the application is the revocation, and the identity provider reads the
/// application on every token request, so a revoked client gets no token from then on.
/// </summary>
public sealed class ApiClients(OpenIddictApplicationManager<ClientApplication> applications, IdentityDb db, TimeProvider clock)
{
    public const int MaxNameLength = 100;

    /// <summary>Field → messages for a create request; empty when it is valid.</summary>
    public static Dictionary<string, string[]> Validate(string? name, IReadOnlyList<string?>? scopes)
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(name) || name.Length > MaxNameLength || name.Any(char.IsControl))
            errors["name"] = [$"name is required: 1–{MaxNameLength} characters, no control characters."];
        if (ScopesError(scopes) is { } scopesError) errors["scopes"] = [scopesError];
        return errors;
    }

    private static string? ScopesError(IReadOnlyList<string?>? scopes)
    {
        var grantable = string.Join(", ", ApiScopes.ForTenantClients);
        if (scopes is null || scopes.Count == 0) return $"scopes is required: one or more of {grantable}.";
        if (scopes.Contains(ApiScopes.PlatformAdmin)) return "platform.admin cannot be granted to a tenant's client: it is never bound to a tenant.";
        var unknown = scopes.Where(s => !ApiScopes.ForTenantClients.Contains(s)).Select(s => $"'{s}'").ToList();
        if (unknown.Count > 0) return $"Unknown scope {string.Join(", ", unknown)}; a client may hold {grantable}.";
        if (scopes.Distinct().Count() != scopes.Count) return "scopes lists a scope more than once.";
        return null;
    }

    /// <summary>What OpenIddict needs to know of a client-credentials client with these scopes.</summary>
    public static OpenIddictApplicationDescriptor Describe(string clientId, string name, IEnumerable<string> scopes)
    {
        var descriptor = new OpenIddictApplicationDescriptor
        {
            ClientId = clientId,
            DisplayName = name,
            ClientType = ClientTypes.Confidential,
            Permissions = { Permissions.Endpoints.Token, Permissions.GrantTypes.ClientCredentials },
        };
        foreach (var scope in scopes) descriptor.Permissions.Add(Permissions.Prefixes.Scope + scope);
        return descriptor;
    }

    /// <summary>The scopes among an application's OpenIddict permissions.</summary>
    public static string[] ScopesOf(ImmutableArray<string> permissions) =>
        [.. permissions.Where(p => p.StartsWith(Permissions.Prefixes.Scope, StringComparison.Ordinal)).Select(p => p[Permissions.Prefixes.Scope.Length..])];

    /// <summary>Creates a client for the tenant; the input must have passed <see cref="Validate"/>.</summary>
    public async Task<NewApiClient> CreateAsync(string tenantId, string name, IReadOnlyList<string> scopes, CancellationToken cancellationToken)
    {
        // The tenant in the id helps whoever reads logs; the random part makes it unguessable and unique.
        var clientId = $"{tenantId}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8))}";
        var secret = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        var now = clock.GetUtcNow();
        // PostgreSQL keeps microseconds: the create answer says what a later list will say.
        var application = new ClientApplication { TenantId = tenantId, CreatedAt = now.AddTicks(-(now.Ticks % 10)) };
        await applications.PopulateAsync(application, Describe(clientId, name.Trim(), scopes), cancellationToken);
        await applications.CreateAsync(application, secret, cancellationToken); // hashes the secret
        return new NewApiClient(new ApiClientInfo(clientId, application.DisplayName!, [.. scopes], application.CreatedAt), secret);
    }

    public async Task<IReadOnlyList<ApiClientInfo>> ListAsync(string tenantId, CancellationToken cancellationToken)
    {
        var rows = await db.Applications.AsNoTracking()
            .Where(a => a.TenantId == tenantId)
            .OrderBy(a => a.CreatedAt).ThenBy(a => a.ClientId)
            .ToListAsync(cancellationToken);
        var clients = new List<ApiClientInfo>(rows.Count);
        foreach (var row in rows)
            clients.Add(new ApiClientInfo(row.ClientId!, row.DisplayName ?? row.ClientId!,
                ScopesOf(await applications.GetPermissionsAsync(row, cancellationToken)), row.CreatedAt));
        return clients;
    }

    /// <summary>Deletes the tenant's client (its tokens and authorizations go with it); false when the tenant has no such client.</summary>
    public async Task<bool> RevokeAsync(string tenantId, string clientId, CancellationToken cancellationToken)
    {
        var application = await applications.FindByClientIdAsync(clientId, cancellationToken);
        if (application is null || application.TenantId != tenantId) return false;
        try
        {
            await applications.DeleteAsync(application, cancellationToken);
            return true;
        }
        catch (OpenIddictExceptions.ConcurrencyException)
        {
            return false; // a concurrent revoke got there first
        }
    }
}
