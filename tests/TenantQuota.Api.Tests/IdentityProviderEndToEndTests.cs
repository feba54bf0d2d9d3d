using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using TenantQuota.Testing;

namespace TenantQuota.Api.Tests;

/// <summary>
/// The bundled OIDC provider (the real Node process) issues the tokens and the API validates them
/// through discovery and JWKS over HTTP, exactly as in scripts/start.sh.
/// </summary>
public sealed class IdentityProviderEndToEndTests : IAsyncLifetime
{
    private readonly string _dataDirectory = Directory.CreateTempSubdirectory("tq-idp-").FullName;
    private readonly int _port = FreePort();
    private Process? _provider;
    private ApiHost? _api;

    private string Issuer => $"http://127.0.0.1:{_port}";

    public async Task InitializeAsync()
    {
        var server = Path.Combine(RepositoryRoot(), "src", "TenantQuota.Identity", "server.js");
        var start = new ProcessStartInfo("node", server) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["TQ_IDENTITY_PORT"] = _port.ToString();
        start.Environment["TQ_IDENTITY_ISSUER"] = Issuer;
        start.Environment["TQ_IDENTITY_DATA"] = _dataDirectory;
        _provider = Process.Start(start)!;
        await WaitUntilServing($"{Issuer}/.well-known/openid-configuration");

        _api = new ApiHost(new Dictionary<string, string?> { ["Auth:Authority"] = Issuer }, trustTestTokens: false);
        await _api.CreateTenantAsyncAs(await TokenFor("platform-admin", "platform-admin-secret"), "acme", "free");
    }

    public async Task DisposeAsync()
    {
        if (_api is not null) await _api.DisposeAsync();
        if (_provider is { HasExited: false })
        {
            _provider.Kill(entireProcessTree: true);
            await _provider.WaitForExitAsync();
        }
        Directory.Delete(_dataDirectory, recursive: true);
    }

    [Fact]
    public async Task Accepts_a_client_credentials_token_from_the_bundled_provider()
    {
        var token = await TokenFor("acme-backend", "acme-dev-secret");

        var answer = await _api!.Client(token).CheckAsync(new { subjectId = "e2e-user", operationClass = "summaries", quantity = 1 });

        Assert.Equal(200, answer.Status);
        Assert.Equal("free", (string)answer.Json["tier"]!);
    }

    [Fact]
    public async Task Enforces_the_scopes_the_provider_granted()
    {
        var adminToken = await TokenFor("acme-admin", "acme-admin-secret"); // quota.check tenant.admin, no quota.consume

        var answer = await _api!.Client(adminToken).ConsumeAsync(new { subjectId = "u", operationClass = "summaries", idempotencyKey = "k" });

        Assert.Equal(403, answer.Status);
    }

    private async Task<string> TokenFor(string clientId, string secret)
    {
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, $"{Issuer}/token")
        {
            Content = new FormUrlEncodedContent([new("grant_type", "client_credentials")]),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{clientId}:{secret}")));
        using var response = await http.SendAsync(request);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        return (string?)body["access_token"] ?? throw new InvalidOperationException($"No token for {clientId}: {body}");
    }

    private async Task WaitUntilServing(string url)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            if (_provider!.HasExited)
                throw new InvalidOperationException($"The identity provider exited: {await _provider.StandardError.ReadToEndAsync()}");
            try
            {
                if ((await http.GetAsync(url)).StatusCode == HttpStatusCode.OK) return;
            }
            catch (HttpRequestException) { }
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"The identity provider did not serve {url} within 30 s.");
            await Task.Delay(100); // polling a child process's port: there is no event to wait on
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "TenantQuota.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException("TenantQuota.sln not found above the test binaries.");
    }
}
