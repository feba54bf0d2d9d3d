using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Npgsql;
using Stripe;
using TenantQuota.Testing;

namespace TenantQuota.Api.Tests.Billing;

/// <summary>
/// Stripe events as Stripe sends them (the JSON envelope and the few data.object fields we read), signed
/// with Stripe.net's own EventUtility.GenerateSignatureHeader, and what the database kept of them.
/// </summary>
public static class StripeEvents
{
    public const string Secret = "whsec_tenantquota_api_tests";

    /// <summary>The settings of an API host with billing on, whose Stripe is somewhere no test reaches (webhooks need none).</summary>
    public static Dictionary<string, string?> BillingSettings(string stripeBaseUrl = "http://127.0.0.1:9") => new()
    {
        ["Stripe:SecretKey"] = "sk_test_tenantquota_api_tests",
        ["Stripe:BaseUrl"] = stripeBaseUrl,
        ["Stripe:WebhookSecret"] = Secret,
    };

    public static string NewId(string prefix) => $"{prefix}_{Guid.NewGuid():N}"[..(prefix.Length + 21)];

    public static string Event(string type, DateTimeOffset created, object dataObject, string? id = null, string? apiVersion = null) =>
        JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["id"] = id ?? NewId("evt"),
            ["object"] = "event",
            ["api_version"] = apiVersion ?? StripeConfiguration.ApiVersion,
            ["created"] = created.ToUnixTimeSeconds(),
            ["livemode"] = false,
            ["pending_webhooks"] = 1,
            ["request"] = new { id = (string?)null, idempotency_key = (string?)null },
            ["type"] = type,
            ["data"] = new { @object = dataObject },
        });

    public static string IdOf(string json) => JsonDocument.Parse(json).RootElement.GetProperty("id").GetString()!;

    public static object CheckoutSession(string tenant, string tier, string subscription, string customer, string paymentStatus = "paid") => new Dictionary<string, object?>
    {
        ["id"] = NewId("cs_test"),
        ["object"] = "checkout.session",
        ["mode"] = "subscription",
        ["status"] = "complete",
        ["payment_status"] = paymentStatus,
        ["customer"] = customer,
        ["subscription"] = subscription,
        ["client_reference_id"] = tenant,
        ["metadata"] = new Dictionary<string, string> { ["tenant_id"] = tenant, ["tier"] = tier },
    };

    public static object Subscription(string id, string tenant, string tier, string status, string customer) => new Dictionary<string, object?>
    {
        ["id"] = id,
        ["object"] = "subscription",
        ["status"] = status,
        ["customer"] = customer,
        ["metadata"] = new Dictionary<string, string> { ["tenant_id"] = tenant, ["tier"] = tier },
        ["items"] = new { @object = "list", data = Array.Empty<object>() },
    };

    /// <summary>An invoice as API versions from 2025 on describe it: the subscription under parent.subscription_details.</summary>
    public static object Invoice(string subscription, string tenant, string tier, string customer, string status) => new Dictionary<string, object?>
    {
        ["id"] = NewId("in"),
        ["object"] = "invoice",
        ["status"] = status,
        ["customer"] = customer,
        ["parent"] = new
        {
            type = "subscription_details",
            subscription_details = new { subscription, metadata = new Dictionary<string, string> { ["tenant_id"] = tenant, ["tier"] = tier } },
        },
    };

    public static string Sign(string json, DateTimeOffset at, string secret = Secret) =>
        EventUtility.GenerateSignatureHeader(json, secret, at.ToUnixTimeSeconds());

    public static async Task<ApiAnswer> DeliverAsync(this ApiHost host, string json, string? signature)
    {
        using var content = new StringContent(json, new UTF8Encoding(false), new MediaTypeHeaderValue("application/json"));
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/billing/stripe/webhook") { Content = content };
        if (signature is not null) request.Headers.TryAddWithoutValidation("Stripe-Signature", signature);
        using var client = host.Client();
        return await ApiCalls.ReadAsync(await client.SendAsync(request));
    }

    /// <summary>Signs with the host's clock, as Stripe signs at the moment it sends.</summary>
    public static Task<ApiAnswer> DeliverSignedAsync(this ApiHost host, string json) => host.DeliverAsync(json, Sign(json, host.Clock.GetUtcNow()));

    public static async Task<long> StoredEventsAsync(string eventId)
    {
        await using var command = ApiHost.Database.CreateCommand("SELECT count(*) FROM stripe_events WHERE id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = eventId });
        return (long)(await command.ExecuteScalarAsync())!;
    }

    public static async Task<(string Tier, long Version)> TenantAsync(string tenantId)
    {
        await using var command = ApiHost.Database.CreateCommand("SELECT tier, version FROM tenants WHERE id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync(), $"no tenant {tenantId}");
        return (reader.GetString(0), reader.GetInt64(1));
    }

    /// <summary>The tenant's Stripe customer, as checkout would have created it.</summary>
    public static async Task<string> GiveCustomerAsync(string tenantId)
    {
        var customer = NewId("cus");
        await using var command = ApiHost.Database.CreateCommand("INSERT INTO billing_customers (tenant_id, stripe_customer_id, created_at) VALUES ($1, $2, now())");
        command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
        command.Parameters.Add(new NpgsqlParameter { Value = customer });
        await command.ExecuteNonQueryAsync();
        return customer;
    }
}
