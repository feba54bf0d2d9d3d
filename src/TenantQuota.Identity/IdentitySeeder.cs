using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using OpenIddict.Abstractions;
using OpenIddict.Core;
using TenantQuota.Identity.Store;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace TenantQuota.Identity;

/// <summary>
/// At start, after the migrations: creates or updates the dashboard client and whatever the seed file
/// (Identity:SeedFile) lists, so that the database says what the configuration says. Running it again,
/// or in two processes at once (they take turns under the identity lock), changes nothing more.
/// </summary>
public sealed partial class IdentitySeeder(IServiceScopeFactory scopes, IOptions<IdentitySettings> settings, IHostEnvironment environment,
    IPasswordHasher<DashboardUser> hasher, TimeProvider clock, ILogger<IdentitySeeder> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var seed = ReadSeedFile();
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<IdentityDb>();
        var applications = scope.ServiceProvider.GetRequiredService<OpenIddictApplicationManager<ClientApplication>>();
        await IdentityStore.RunExclusiveAsync(db, async () =>
        {
            await UpsertDashboardClient(applications, cancellationToken);
            foreach (var client in seed.Clients) await UpsertClient(applications, client, cancellationToken);
            foreach (var user in seed.Users) await UpsertUser(db, user, cancellationToken);
        }, cancellationToken);
        if (seed.Clients.Length + seed.Users.Length > 0)
            logger.LogInformation("Seeded {Clients} clients and {Users} dashboard users from {File}", seed.Clients.Length, seed.Users.Length, settings.Value.SeedFile);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>The dashboard: a public client (no secret) that may only use the code flow with PKCE.</summary>
    private async Task UpsertDashboardClient(OpenIddictApplicationManager<ClientApplication> applications, CancellationToken cancellationToken)
    {
        var dashboard = settings.Value.Dashboard;
        var descriptor = new OpenIddictApplicationDescriptor
        {
            ClientId = dashboard.ClientId,
            DisplayName = "TenantQuota dashboard",
            ClientType = ClientTypes.Public,
            ConsentType = ConsentTypes.Implicit,
            Permissions =
            {
                Permissions.Endpoints.Authorization, Permissions.Endpoints.Token,
                Permissions.GrantTypes.AuthorizationCode, Permissions.ResponseTypes.Code,
            },
            Requirements = { Requirements.Features.ProofKeyForCodeExchange },
        };
        foreach (var scope in ApiScopes.ForDashboardUsers) descriptor.Permissions.Add(Permissions.Prefixes.Scope + scope);
        foreach (var uri in dashboard.RedirectUris) descriptor.RedirectUris.Add(new Uri(uri, UriKind.Absolute));

        if (await applications.FindByClientIdAsync(dashboard.ClientId, cancellationToken) is { } existing)
        {
            await applications.PopulateAsync(existing, descriptor, cancellationToken);
            await applications.UpdateAsync(existing, cancellationToken);
            return;
        }
        var application = new ClientApplication { CreatedAt = clock.GetUtcNow() };
        await applications.PopulateAsync(application, descriptor, cancellationToken);
        await applications.CreateAsync(application, cancellationToken);
    }

    private async Task UpsertClient(OpenIddictApplicationManager<ClientApplication> applications, SeedClient client, CancellationToken cancellationToken)
    {
        var descriptor = ApiClients.Describe(client.ClientId!, client.Name ?? client.ClientId!, client.Scopes!);
        var existing = await applications.FindByClientIdAsync(client.ClientId!, cancellationToken);
        if (existing is null)
        {
            var application = new ClientApplication { TenantId = client.TenantId, CreatedAt = clock.GetUtcNow() };
            await applications.PopulateAsync(application, descriptor, cancellationToken);
            await applications.CreateAsync(application, client.ClientSecret, cancellationToken); // hashes the secret
            return;
        }
        // Re-hashing a secret is deliberately slow, so an unchanged client is left alone.
        var current = new OpenIddictApplicationDescriptor();
        await applications.PopulateAsync(current, existing, cancellationToken);
        if (existing.TenantId == client.TenantId && current.DisplayName == descriptor.DisplayName && current.ClientType == descriptor.ClientType
            && current.Permissions.SetEquals(descriptor.Permissions)
            && await applications.ValidateClientSecretAsync(existing, client.ClientSecret!, cancellationToken))
            return;
        existing.TenantId = client.TenantId;
        await applications.PopulateAsync(existing, descriptor, cancellationToken);
        await applications.UpdateAsync(existing, client.ClientSecret!, cancellationToken);
    }

    private async Task UpsertUser(IdentityDb db, SeedUser seed, CancellationToken cancellationToken)
    {
        var email = seed.Email!.Trim().ToLowerInvariant();
        var user = await db.Users.FirstOrDefaultAsync(u => u.Email == email, cancellationToken);
        if (user is null)
        {
            user = new DashboardUser { Id = Guid.NewGuid().ToString("N"), Email = email, PasswordHash = "", TenantId = seed.TenantId! };
            user.PasswordHash = hasher.HashPassword(user, seed.Password!);
            db.Users.Add(user);
        }
        else if (user.TenantId != seed.TenantId || hasher.VerifyHashedPassword(user, user.PasswordHash, seed.Password!) == PasswordVerificationResult.Failed)
        {
            user.TenantId = seed.TenantId!;
            user.PasswordHash = hasher.HashPassword(user, seed.Password!);
        }
        await db.SaveChangesAsync(cancellationToken);
    }

    private SeedData ReadSeedFile()
    {
        if (settings.Value.SeedFile is not { Length: > 0 } name) return new SeedData();
        var path = Path.IsPathRooted(name) ? name : Path.Combine(environment.ContentRootPath, name);
        if (!File.Exists(path)) throw new FileNotFoundException($"Identity:SeedFile points at '{path}', which does not exist.", path);
        SeedData seed;
        try
        {
            seed = JsonSerializer.Deserialize<SeedData>(File.ReadAllText(path), SeedJson) ?? new SeedData();
        }
        catch (JsonException e)
        {
            throw new InvalidOperationException($"Identity:SeedFile '{path}' is not valid: {e.Message}", e);
        }
        var errors = seed.Clients.Select((c, i) => ClientError(c) is { } error ? $"clients[{i}]: {error}" : null)
            .Concat(seed.Users.Select((u, i) => UserError(u) is { } error ? $"users[{i}]: {error}" : null))
            .OfType<string>().ToList();
        if (seed.Clients.GroupBy(c => c.ClientId).FirstOrDefault(g => g.Count() > 1) is { } duplicate)
            errors.Add($"client id '{duplicate.Key}' is listed twice");
        return errors.Count == 0 ? seed : throw new InvalidOperationException($"Identity:SeedFile '{path}': {string.Join("; ", errors)}.");
    }

    private static string? ClientError(SeedClient client)
    {
        if (client.ClientId is null || !IdPattern().IsMatch(client.ClientId)) return "clientId must be letters, digits, '.', '_' or '-' (at most 100)";
        if (string.IsNullOrEmpty(client.ClientSecret)) return $"'{client.ClientId}' needs a clientSecret";
        if (client.Scopes is not { Length: > 0 } scopes || scopes.Any(s => !ApiScopes.All.Contains(s)))
            return $"'{client.ClientId}' needs scopes from {string.Join(", ", ApiScopes.All)}";
        if (client.TenantId is null ? scopes.Any(ApiScopes.ForTenantClients.Contains) : scopes.Contains(ApiScopes.PlatformAdmin))
            return $"'{client.ClientId}': platform.admin is never bound to a tenant, and the other scopes always are";
        return null;
    }

    private static string? UserError(SeedUser user) =>
        string.IsNullOrWhiteSpace(user.Email) || !user.Email.Contains('@') ? "email is required"
        : string.IsNullOrEmpty(user.Password) ? $"'{user.Email}' needs a password"
        : string.IsNullOrWhiteSpace(user.TenantId) ? $"'{user.Email}' needs a tenantId"
        : null;

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")]
    private static partial Regex IdPattern();

    private static readonly JsonSerializerOptions SeedJson = new(JsonSerializerDefaults.Web)
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow, // a misspelt field is an error, not a silent default
        ReadCommentHandling = JsonCommentHandling.Skip,
    };

    private sealed record SeedData(SeedClient[] Clients, SeedUser[] Users)
    {
        public SeedData() : this([], []) { }
    }

    private sealed record SeedClient(string? ClientId, string? ClientSecret, string? TenantId, string[]? Scopes, string? Name);

    private sealed record SeedUser(string? Email, string? Password, string? TenantId);
}
