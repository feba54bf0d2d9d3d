using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace TenantQuota.Testing;

/// <summary>
/// One real API process-in-a-box: the production Program on Kestrel (a real port), over the test
/// PostgreSQL, trusting <see cref="TestTokens"/>. Several hosts over one database stand for
/// several API processes.
/// </summary>
public sealed class ApiHost : WebApplicationFactory<Program>
{
    private readonly Dictionary<string, string?> _settings;
    private readonly bool _trustTestTokens;
    private Uri? _address;

    public ApiHost() : this(new Dictionary<string, string?>()) { }

    /// <param name="settings">Configuration overrides (e.g. "Quota:MatrixPath").</param>
    /// <param name="trustTestTokens">False to validate tokens against a real issuer (set Auth:Authority).</param>
    /// <param name="port">0 for any free port; a chosen one when another host must know the address first (a redirect URI).</param>
    public ApiHost(Dictionary<string, string?> settings, bool trustTestTokens = true, int port = 0)
    {
        _settings = settings;
        _trustTestTokens = trustTestTokens;
        UseKestrel(port);
    }

    public SettableClock Clock { get; } = new();

    public static NpgsqlDataSource Database { get; } = NpgsqlDataSource.Create(TestDatabase.ConnectionString);

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public Uri Address
    {
        get
        {
            if (_address is null)
            {
                StartServer();
                _address = ClientOptions.BaseAddress;
            }
            return _address;
        }
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("ConnectionStrings:TenantQuota", TestDatabase.ConnectionString);
        builder.UseSetting("Auth:Authority", TestTokens.Issuer);
        builder.UseSetting("Auth:RequireHttpsMetadata", "false");
        // Every test host has a clock of its own over one shared database: a sweep on one host's clock would
        // expire the reservations of others. Tests that need the sweep turn it on or call it.
        builder.UseSetting("Quota:ReservationSweepSeconds", "0");
        // Tests run their webhook receivers on this machine, over plain http.
        builder.UseSetting("Governance:AllowLoopbackHttpWebhooks", "true");
        // /metrics answers from a fresh scrape every time: tests compare one read with the next.
        builder.UseSetting("Telemetry:ScrapeCacheMilliseconds", "0");
        foreach (var (key, value) in _settings) builder.UseSetting(key, value);
        builder.ConfigureServices(services =>
        {
            services.AddSingleton<TimeProvider>(Clock);
            if (_trustTestTokens)
                services.Configure<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme, jwt => jwt.Configuration = TestTokens.OpenIdConfiguration);
        });
    }

    /// <summary>A client for this host that sends the given bearer token (none when null).</summary>
    public HttpClient Client(string? token = null)
    {
        var client = new HttpClient { BaseAddress = Address };
        if (token is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    /// <summary>Creates a fresh tenant through the admin API, so each test has counters of its own.</summary>
    public Task<string> CreateTenantAsync(string tier, string timeZone = "UTC", string? id = null) =>
        CreateTenantAsyncAs(TestTokens.For(null, "platform.admin"), id ?? $"t-{Guid.NewGuid():N}"[..20], tier, timeZone);

    /// <summary>Creates a tenant with the given platform-admin token; an existing one is fine (the database outlives runs).</summary>
    public async Task<string> CreateTenantAsyncAs(string adminToken, string id, string tier, string timeZone = "UTC")
    {
        using var admin = Client(adminToken);
        var response = await admin.PostAsJsonAsync("/v1/tenants", new { id, name = $"Test {id}", tier, timeZone });
        if ((int)response.StatusCode is not (201 or 409))
            throw new InvalidOperationException($"Creating tenant {id} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        return id;
    }
}
