using Microsoft.Extensions.Options;
using TenantQuota.Testing;

namespace TenantQuota.Api.Tests.Billing;

/// <summary>Billing off (no Stripe__SecretKey) answers a clear 503 on every billing route; billing on checks its settings at start.</summary>
public sealed class BillingConfigurationTests(ApiHostFixture fixture) : IClassFixture<ApiHostFixture>
{
    private readonly ApiHost _host = fixture.Host;

    public static TheoryData<string, string?> Routes => new()
    {
        { "/v1/billing/catalog/sync", "platform.admin" },
        { "/v1/billing/checkout-sessions", "tenant.admin" },
        { "/v1/billing/portal-sessions", "tenant.admin" },
        { "/v1/billing/stripe/webhook", null },
    };

    [Theory]
    [MemberData(nameof(Routes))]
    public async Task Answers_503_billing_not_configured_when_no_Stripe_key_is_set(string path, string? scope)
    {
        var tenant = await _host.CreateTenantAsync("free");
        var client = _host.Client(scope is null ? null : TestTokens.For(scope == "platform.admin" ? null : tenant, scope));

        var answer = await client.SendAsync(HttpMethod.Post, path, new { tier = "pro", successUrl = "https://a.example/", cancelUrl = "https://a.example/", returnUrl = "https://a.example/" });

        Assert.Equal((503, "application/problem+json"), (answer.Status, answer.ContentType));
        Assert.EndsWith("/billing-not-configured", (string)answer.Json["type"]!);
        Assert.Contains("Stripe__SecretKey", (string)answer.Json["detail"]!);
    }

    [Fact]
    public async Task Still_asks_for_a_token_on_the_tenant_admin_routes()
    {
        var answer = await _host.Client().SendAsync(HttpMethod.Post, "/v1/billing/checkout-sessions", new { tier = "pro" });

        Assert.Equal(401, answer.Status);
    }

    [Theory]
    [InlineData("Stripe:WebhookSecret", null, "Stripe:WebhookSecret")]
    [InlineData("Stripe:WebhookSecret", "not-a-whsec", "Stripe:WebhookSecret")]
    [InlineData("Stripe:SecretKey", "pk_test_publishable", "Stripe:SecretKey")]
    [InlineData("Billing:Prices:gold", "1000", "Billing:Prices:gold")]
    [InlineData("Billing:Prices:free", "500", "Billing:Prices:free")]
    [InlineData("Billing:Prices:pro", "-1", "Billing:Prices:pro")]
    [InlineData("Billing:OveragePrices:translations", "5", "Billing:OveragePrices:translations")]
    [InlineData("Billing:DefaultOveragePrice", "0", "Billing:DefaultOveragePrice")]
    [InlineData("Billing:Currency", "USD", "Billing:Currency")]
    public void Refuses_to_start_with_billing_on_and_a_bad_setting_naming_it(string key, string? value, string named)
    {
        var settings = StripeEvents.BillingSettings();
        settings[key] = value;
        using var host = new ApiHost(settings);

        var error = Assert.ThrowsAny<Exception>(() => host.Address);

        while (error is not OptionsValidationException && error.InnerException is not null) error = error.InnerException;
        Assert.IsType<OptionsValidationException>(error);
        Assert.Contains(named, error.Message);
    }

    [Fact]
    public async Task Starts_without_billing_whatever_the_Billing_settings_say()
    {
        await using var host = new ApiHost(new Dictionary<string, string?> { ["Billing:Prices:gold"] = "1000" });

        var plans = await host.Client(TestTokens.For(null, "platform.admin")).SendAsync(HttpMethod.Post, "/v1/billing/catalog/sync");

        Assert.Equal(503, plans.Status);
    }
}
