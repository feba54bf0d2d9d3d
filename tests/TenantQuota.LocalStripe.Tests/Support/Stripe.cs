using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Stripe;
using TenantQuota.LocalStripe;

namespace TenantQuota.LocalStripe.Tests.Support;

/// <summary>Stripe.net pointed at a LocalStripe, as the product builds it (TenantQuota.Billing.StripeClients).</summary>
internal static class Clients
{
    public const string ApiKey = "sk_test_localstripe_tests";

    /// <summary><paramref name="retries"/>: Stripe.net's own network retries (0 = one attempt only).</summary>
    public static StripeClient Stripe(LocalStripeServer server, int retries = 0) => new(new StripeClientOptions
    {
        ApiKey = ApiKey,
        ApiBase = server.ApiBase,
        MeterEventsBase = server.ApiBase,
        HttpClient = new SystemNetHttpClient(new HttpClient(), maxNetworkRetries: retries),
    });

    /// <summary>A plain HttpClient for LocalStripe's admin endpoints and hosted pages; redirects are not followed.</summary>
    public static HttpClient Http(LocalStripeServer server) =>
        new(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = server.BaseUrl };

    public static async Task<JsonNode> GetJsonAsync(this HttpClient http, string path)
    {
        using var response = await http.GetAsync(path);
        response.EnsureSuccessStatusCode();
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
    }

    public static async Task<HttpResponseMessage> PostJsonAsync(this HttpClient http, string path, object body) =>
        await http.PostAsJsonAsync(path, body);

    /// <summary>The v1 requests LocalStripe logged (GET /_requests), optionally for one path prefix.</summary>
    public static async Task<JsonArray> RequestsAsync(this HttpClient http, string? path = null) =>
        (await http.GetJsonAsync(path is null ? "/_requests" : $"/_requests?path={Uri.EscapeDataString(path)}")).AsArray();
}

/// <summary>Small builders for the objects most tests need.</summary>
internal static class Catalogue
{
    public static Task<Customer> CustomerAsync(StripeClient client, string tenant = "acme") =>
        new CustomerService(client).CreateAsync(new CustomerCreateOptions
        {
            Email = $"billing@{tenant}.example", Name = tenant, Metadata = new() { ["tenant_id"] = tenant },
        });

    public static Task<Stripe.Billing.Meter> MeterAsync(StripeClient client, string eventName = "api_requests", string formula = "sum") =>
        new Stripe.Billing.MeterService(client).CreateAsync(new Stripe.Billing.MeterCreateOptions
        {
            DisplayName = "API requests", EventName = eventName,
            DefaultAggregation = new Stripe.Billing.MeterDefaultAggregationOptions { Formula = formula },
            CustomerMapping = new Stripe.Billing.MeterCustomerMappingOptions { Type = "by_id", EventPayloadKey = "stripe_customer_id" },
            ValueSettings = new Stripe.Billing.MeterValueSettingsOptions { EventPayloadKey = "value" },
        });

    /// <summary>A "Pro" product with a licensed monthly price (49.00 USD) and a metered overage price on <paramref name="meter"/>.</summary>
    public static async Task<(Product Product, Price Base, Price Overage)> ProPlanAsync(StripeClient client, Stripe.Billing.Meter meter)
    {
        var product = await new ProductService(client).CreateAsync(new ProductCreateOptions { Name = "Pro", Metadata = new() { ["plan"] = "pro" } });
        var prices = new PriceService(client);
        var basePrice = await prices.CreateAsync(new PriceCreateOptions
        {
            Product = product.Id, Currency = "usd", UnitAmount = 4900, LookupKey = $"pro_monthly_{product.Id}",
            Recurring = new PriceRecurringOptions { Interval = "month" },
        });
        var overage = await prices.CreateAsync(new PriceCreateOptions
        {
            Product = product.Id, Currency = "usd", UnitAmountDecimal = 0.5m, LookupKey = $"pro_overage_{product.Id}",
            Recurring = new PriceRecurringOptions { Interval = "month", UsageType = "metered", Meter = meter.Id },
        });
        return (product, basePrice, overage);
    }
}
