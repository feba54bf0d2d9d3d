using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using System.Text.Json.Nodes;

namespace TenantQuota.Testing;

/// <summary>
/// The real identity host and an API that trusts it, as scripts/start.sh runs them, for the dashboard's sign-in. The
/// identity host registers a dashboard client of this stack's own (its own redirect URI, at the API's port chosen
/// beforehand), so stacks of other test classes, which seed the default client, never change it under this one.
/// </summary>
public sealed class DashboardStack : IAsyncDisposable
{
    private readonly DirectoryInfo _keys = Directory.CreateTempSubdirectory("tq-identity-keys-");

    public string ClientId { get; } = $"dashboard-test-{Guid.NewGuid():N}"[..27];
    public IdentityServerHost Identity { get; private set; } = null!;
    public ApiHost Api { get; private set; } = null!;
    public string PlatformAdminToken { get; private set; } = "";

    /// <param name="apiSettings">Settings of the API's own on top of the stack's (e.g. a connection string through a <see cref="TcpProxy"/>).</param>
    public static async Task<DashboardStack> StartAsync(IReadOnlyDictionary<string, string?>? apiSettings = null)
    {
        // The ports are chosen before they are bound (the identity host must know the API's redirect URI first), and
        // any socket of this machine may take one meanwhile (an outgoing connection's ephemeral port): then start again.
        for (var attempt = 1; ; attempt++)
        {
            var stack = new DashboardStack();
            try
            {
                await stack.InitializeAsync(apiSettings ?? new Dictionary<string, string?>());
                return stack;
            }
            catch (Exception e)
            {
                await stack.DisposeAsync();
                if (attempt >= 3 || !AddressInUse(e)) throw;
            }
        }
    }

    private static bool AddressInUse(Exception? e) =>
        e is not null && (e is AddressInUseException or SocketException { SocketErrorCode: SocketError.AddressAlreadyInUse }
                          || AddressInUse(e.InnerException) || e is AggregateException all && all.InnerExceptions.Any(AddressInUse));

    private async Task InitializeAsync(IReadOnlyDictionary<string, string?> apiSettings)
    {
        var apiPort = IdentityServerHost.FreePort();
        Identity = new IdentityServerHost(_keys.FullName, IdentityServerHost.FreePort(), settings: new Dictionary<string, string?>
        {
            ["Identity:Dashboard:ClientId"] = ClientId,
            ["Identity:Dashboard:RedirectUris:0"] = $"http://127.0.0.1:{apiPort}/dashboard/callback",
            ["Identity:SignInAttemptsPerMinute"] = "1000",
        });
        Api = new ApiHost(new Dictionary<string, string?>(apiSettings) { ["Auth:Authority"] = Identity.Issuer, ["Dashboard:ClientId"] = ClientId },
            trustTestTokens: false, port: apiPort);
        _ = Api.Address; // bound now, while a taken port can still be retried
        PlatformAdminToken = await Identity.TokenAsync("platform-admin", "platform-admin-secret");
    }

    /// <summary>A fresh tenant with a dashboard user (its administrator) and a back end that may consume and administer.</summary>
    public async Task<DashboardTenant> NewTenantAsync(string tier = "pro")
    {
        var tenant = await Api.CreateTenantAsyncAs(PlatformAdminToken, $"dash-{Guid.NewGuid():N}"[..20], tier);
        var email = $"admin-{Guid.NewGuid():N}@{tenant}.example";
        const string password = "dashboard-test-password";
        await Identity.AddDashboardUserAsync(email, password, tenant);
        using var platform = Api.Client(PlatformAdminToken);
        var created = await platform.PostAsJsonAsync($"/v1/tenants/{tenant}/clients",
            new { name = "backend", scopes = new[] { "quota.check", "quota.consume", "tenant.admin" } });
        var client = JsonNode.Parse(await created.Content.ReadAsStringAsync())!;
        if (created.StatusCode != HttpStatusCode.Created) throw new InvalidOperationException($"Creating a client for {tenant} answered {(int)created.StatusCode}: {client}");
        return new DashboardTenant(tenant, email, password, (string)client["clientId"]!, (string)client["clientSecret"]!);
    }

    public Task<string> BackendTokenAsync(DashboardTenant tenant) => Identity.TokenAsync(tenant.ClientId, tenant.ClientSecret);

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (Api is not null) await Api.DisposeAsync();
        }
        finally
        {
            try
            {
                if (Identity is not null) await Identity.DisposeAsync();
            }
            finally
            {
                _keys.Delete(recursive: true);
            }
        }
    }
}

/// <param name="ClientId">A back end of the tenant (quota.check, quota.consume, tenant.admin) for driving usage through the API.</param>
public sealed record DashboardTenant(string Id, string Email, string Password, string ClientId, string ClientSecret);
