using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using TenantQuota.Identity;
using TenantQuota.Identity.Store;

namespace TenantQuota.Testing;

/// <summary>
/// The real identity host (TenantQuota.Identity) on Kestrel at a real port, over the test database,
/// with the demo seed file and a key folder of the test's choosing. Everything else is production
/// configuration: persisted certificates, EF migrations, the seeding worker.
/// </summary>
public sealed class IdentityServerHost : WebApplicationFactory<IdentityProgram>
{
    private readonly string _keysPath;
    private readonly int _port;
    private readonly string _connectionString;
    private readonly Dictionary<string, string?> _settings;
    private Uri? _address;

    public IdentityServerHost(string keysPath) : this(keysPath, FreePort()) { }

    /// <param name="settings">Configuration overrides (e.g. "Identity:SignInAttemptsPerMinute").</param>
    public IdentityServerHost(string keysPath, int port, string? connectionString = null, Dictionary<string, string?>? settings = null)
    {
        (_keysPath, _port, _connectionString) = (keysPath, port, connectionString ?? TestDatabase.ConnectionString);
        _settings = settings ?? [];
        UseKestrel(options => options.Listen(IPAddress.Loopback, port));
    }

    public int Port => _port;

    /// <summary>The issuer: http://127.0.0.1:port, started on first use.</summary>
    public Uri Address
    {
        get
        {
            if (_address is null)
            {
                StartServer();
                _address = new Uri($"http://127.0.0.1:{_port}/");
            }
            return _address;
        }
    }

    public string Issuer => Address.ToString().TrimEnd('/');

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("ConnectionStrings:TenantQuota", _connectionString);
        builder.UseSetting("Identity:KeysPath", _keysPath);
        builder.UseSetting("Identity:RequireHttps", "false");
        builder.UseSetting("Identity:SeedFile", "demo-seed.json");
        foreach (var (key, value) in _settings) builder.UseSetting(key, value);
    }

    /// <summary>A client-credentials token request, authenticated by HTTP Basic or by form fields.</summary>
    public async Task<ApiAnswer> RequestTokenAsync(string clientId, string secret, string? scope = null, bool secretInForm = false)
    {
        var form = new List<KeyValuePair<string, string>> { new("grant_type", "client_credentials") };
        if (scope is not null) form.Add(new("scope", scope));
        if (secretInForm) form.AddRange([new("client_id", clientId), new("client_secret", secret)]);
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(Address, "token")) { Content = new FormUrlEncodedContent(form) };
        if (!secretInForm)
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{clientId}:{secret}")));
        using var http = new HttpClient();
        return await ApiCalls.ReadAsync(await http.SendAsync(request));
    }

    public async Task<string> TokenAsync(string clientId, string secret, string? scope = null)
    {
        var answer = await RequestTokenAsync(clientId, secret, scope);
        return answer.Status == 200
            ? (string)answer.Json["access_token"]!
            : throw new InvalidOperationException($"No token for {clientId}: {answer.Status} {answer.Body}");
    }

    /// <summary>A dashboard user (a tenant administrator who signs in with a password), stored as the seeder stores one.</summary>
    public async Task AddDashboardUserAsync(string email, string password, string tenantId)
    {
        _ = Address;
        using var scope = Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<IdentityDb>();
        var user = new DashboardUser { Id = Guid.NewGuid().ToString("N"), Email = email.ToLowerInvariant(), PasswordHash = "", TenantId = tenantId };
        user.PasswordHash = scope.ServiceProvider.GetRequiredService<IPasswordHasher<DashboardUser>>().HashPassword(user, password);
        db.Users.Add(user);
        await db.SaveChangesAsync();
    }

    /// <summary>An unused loopback port: the restart test needs the same issuer address twice.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
