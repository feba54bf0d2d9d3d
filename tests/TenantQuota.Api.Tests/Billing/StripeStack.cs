using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Npgsql;
using TenantQuota.LocalStripe;
using TenantQuota.Testing;

namespace TenantQuota.Api.Tests.Billing;

/// <summary>
/// An API host with billing on, against LocalStripe run in-process, whose webhooks go back to the API
/// host, over a database of its own: stripe_catalog is global, so a host that syncs against another
/// LocalStripe (other test classes, other test projects running at the same time) must not share it.
/// </summary>
public sealed class StripeStack : IAsyncDisposable
{
    public const string SecretKey = "sk_test_tenantquota_billing_tests";

    private readonly OwnDatabase _database;

    private StripeStack(OwnDatabase database, LocalStripeServer stripe, ApiHost api)
    {
        _database = database;
        Stripe = stripe;
        Api = api;
    }

    public NpgsqlDataSource Database => _database.DataSource;
    public LocalStripeServer Stripe { get; }
    public ApiHost Api { get; }

    public static async Task<StripeStack> StartAsync(Dictionary<string, string?>? settings = null)
    {
        var database = await OwnDatabase.CreateAsync("billing");
        var stripe = await LocalStripeHost.StartAsync();
        var all = new Dictionary<string, string?>
        {
            ["ConnectionStrings:TenantQuota"] = database.ConnectionString,
            ["Stripe:SecretKey"] = SecretKey,
            ["Stripe:BaseUrl"] = stripe.ApiBase,
            ["Stripe:WebhookSecret"] = stripe.WebhookSecret,
        };
        foreach (var (key, value) in settings ?? []) all[key] = value;
        var api = new ApiHost(all);
        stripe.SetWebhookEndpoints(new Uri(api.Address, "/v1/billing/stripe/webhook").ToString());
        return new StripeStack(database, stripe, api);
    }

    public HttpClient PlatformAdmin() => Api.Client(TestTokens.For(null, "platform.admin"));

    public HttpClient TenantAdmin(string tenant) => Api.Client(TestTokens.For(tenant, "tenant.admin", "quota.check"));

    public Task<ApiAnswer> SyncCatalogAsync() => PlatformAdmin().SendAsync(HttpMethod.Post, "/v1/billing/catalog/sync");

    public Task<ApiAnswer> CheckoutAsync(string tenant, string tier) =>
        TenantAdmin(tenant).SendAsync(HttpMethod.Post, "/v1/billing/checkout-sessions",
            new { tier, successUrl = "https://app.example/ok?session={CHECKOUT_SESSION_ID}", cancelUrl = "https://app.example/no" });

    /// <summary>LocalStripe's own endpoints (/_requests, /_faults, the hosted checkout page), no redirects followed.</summary>
    public HttpClient StripeSide() => new(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = Stripe.BaseUrl };

    /// <summary>Stripe's API as our secret key sees it (GET), to read back what the API made.</summary>
    public async Task<JsonNode> StripeGetAsync(string pathAndQuery)
    {
        using var client = StripeSide();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", SecretKey);
        var response = await client.GetAsync(pathAndQuery);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"GET {pathAndQuery} at LocalStripe answered {(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!;
    }

    /// <summary>The v1 requests LocalStripe received, oldest first (optionally only those under a path).</summary>
    public async Task<List<JsonNode>> RequestsAsync(string? path = null)
    {
        using var client = StripeSide();
        var log = await client.GetFromJsonAsync<JsonArray>(path is null ? "/_requests" : $"/_requests?path={Uri.EscapeDataString(path)}");
        return [.. log!.Select(r => r!)];
    }

    public async Task InjectFaultAsync(object fault)
    {
        using var client = StripeSide();
        var response = await client.PostAsJsonAsync("/_faults", fault);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    public Task<T?> ScalarAsync<T>(string sql, params object[] values) => _database.ScalarAsync<T>(sql, values);

    public Task<string?> TierAsync(string tenant) => ScalarAsync<string>("SELECT tier FROM tenants WHERE id = $1", tenant);

    public async ValueTask DisposeAsync()
    {
        await Api.DisposeAsync();
        await Stripe.DisposeAsync();
        await _database.DisposeAsync();
    }
}

/// <summary>One <see cref="StripeStack"/> per test class.</summary>
public sealed class StripeStackFixture : IAsyncLifetime
{
    public StripeStack Stack { get; private set; } = null!;

    public async Task InitializeAsync() => Stack = await StripeStack.StartAsync();

    public async Task DisposeAsync() => await Stack.DisposeAsync();
}
