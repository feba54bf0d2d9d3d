using System.Text.Json.Nodes;
using TenantQuota.Testing;

namespace TenantQuota.Api.Tests.Billing;

/// <summary>Checkout and portal sessions against LocalStripe, and the upgrade from checkout to the new tier.</summary>
public sealed class CheckoutTests(StripeStackFixture fixture) : IClassFixture<StripeStackFixture>, IAsyncLifetime
{
    private readonly StripeStack _stack = fixture.Stack;
    private JsonNode _catalog = null!;

    public async Task InitializeAsync()
    {
        // LocalStripe signs its webhooks with the real time, which the API checks against its own clock (300 s
        // tolerance); that clock stood still since the class started.
        _stack.Api.Clock.Set(DateTimeOffset.UtcNow);
        _catalog = (await _stack.SyncCatalogAsync()).Json;
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task Creates_a_subscription_session_with_the_tier_price_every_metered_price_and_the_tenant_in_its_metadata()
    {
        var tenant = await _stack.Api.CreateTenantAsync("free");

        var answer = await _stack.CheckoutAsync(tenant, "team");

        Assert.Equal(201, answer.Status);
        var id = (string)answer.Json["id"]!;
        Assert.StartsWith("cs_", id);
        Assert.StartsWith(_stack.Stripe.ApiBase, (string)answer.Json["url"]!);
        var session = await _stack.StripeGetAsync($"/v1/checkout/sessions/{id}?expand[0]=line_items");
        Assert.Equal(("subscription", tenant, "team", tenant),
            ((string)session["mode"]!, (string)session["metadata"]!["tenant_id"]!, (string)session["metadata"]!["tier"]!, (string)session["client_reference_id"]!));
        var prices = session["line_items"]!["data"]!.AsArray().Select(i => ((string)i!["price"]!["id"]!, (long?)i["quantity"])).ToList();
        var expected = new List<(string, long?)> { ((string)_catalog["tiers"]![1]!["priceId"]!, 1) };
        expected.AddRange(_catalog["overage"]!.AsArray().Select(o => ((string)o!["priceId"]!, (long?)null)));
        Assert.Equal(expected, prices);

        var customer = await _stack.StripeGetAsync($"/v1/customers/{session["customer"]}");
        Assert.Equal(tenant, (string)customer["metadata"]!["tenant_id"]!);
        var create = (await _stack.RequestsAsync("/v1/checkout/sessions")).Single(r => (string)r["method"]! == "POST" && (string?)r["params"]!["client_reference_id"] == tenant);
        Assert.Equal((tenant, "team"), ((string)create["params"]!["subscription_data[metadata][tenant_id]"]!, (string)create["params"]!["subscription_data[metadata][tier]"]!));
        Assert.StartsWith($"checkout-{tenant}-team-", (string)create["idempotencyKey"]!);
    }

    [Fact]
    public async Task Creates_one_Stripe_customer_when_admins_start_checkouts_at_the_same_time()
    {
        var tenant = await _stack.Api.CreateTenantAsync("free");

        var answers = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => _stack.CheckoutAsync(tenant, "pro")));

        Assert.All(answers, a => Assert.Equal(201, a.Status));
        Assert.Equal(6, answers.Select(a => (string)a.Json["id"]!).Distinct().Count()); // six clicks, six sessions
        var customers = (await _stack.StripeGetAsync("/v1/customers?limit=100"))["data"]!.AsArray()
            .Where(c => (string?)c!["metadata"]!["tenant_id"] == tenant).Select(c => (string)c!["id"]!).ToList();
        var stored = await _stack.ScalarAsync<string>("SELECT stripe_customer_id FROM billing_customers WHERE tenant_id = $1", tenant);
        Assert.Equal([stored!], customers);
        var sessions = await Task.WhenAll(answers.Select(a => _stack.StripeGetAsync($"/v1/checkout/sessions/{a.Json["id"]}")));
        Assert.All(sessions, s => Assert.Equal(stored, (string)s["customer"]!));
        var creates = (await _stack.RequestsAsync("/v1/customers")).Where(r => (string)r["method"]! == "POST" && (string?)r["idempotencyKey"] == $"customer-{tenant}");
        Assert.Single(creates);
    }

    [Fact]
    public async Task Moves_the_tenant_to_the_bought_tier_once_the_customer_pays_on_the_checkout_page()
    {
        var tenant = await _stack.Api.CreateTenantAsync("free");
        var backend = _stack.Api.Client(TestTokens.For(tenant, "quota.check", "quota.consume"));
        await backend.ConsumeAsync(new { subjectId = "ana", operationClass = "summaries", quantity = 10, idempotencyKey = "fill" });
        var checkout = await _stack.CheckoutAsync(tenant, "pro");
        using var browser = _stack.StripeSide();

        var page = await browser.GetAsync(new Uri((string)checkout.Json["url"]!).PathAndQuery);
        var pay = await browser.PostAsync($"/checkout/{checkout.Json["id"]}/pay", null);
        var tier = await Eventually.Until(() => _stack.TierAsync(tenant), t => t == "pro", "the tenant to move to pro");
        var check = await backend.CheckAsync(new { subjectId = "ana", operationClass = "summaries" });

        Assert.Equal(200, (int)page.StatusCode);
        Assert.Equal((303, $"https://app.example/ok?session={checkout.Json["id"]}"), ((int)pay.StatusCode, pay.Headers.Location!.ToString()));
        Assert.Equal("pro", tier);
        Assert.Equal(("pro", "allow", 11L, 200L), ((string)check.Json["tier"]!, check.Decision, check.Used, (long)check.Json["hardLimit"]!));
        Assert.Equal("active", await _stack.ScalarAsync<string>("SELECT status FROM billing_subscriptions WHERE tenant_id = $1", tenant));
        Assert.StartsWith("stripe:evt_", await _stack.ScalarAsync<string>("SELECT actor FROM audit_log WHERE tenant_id = $1 AND kind = 'tier'", tenant));
    }

    [Fact]
    public async Task Sends_a_paying_tenant_to_the_portal_rather_than_selling_a_second_subscription()
    {
        var tenant = await _stack.Api.CreateTenantAsync("free");
        var checkout = await _stack.CheckoutAsync(tenant, "pro");
        using (var browser = _stack.StripeSide())
            await browser.PostAsync($"/checkout/{checkout.Json["id"]}/pay", null);
        await Eventually.Until(() => _stack.TierAsync(tenant), t => t == "pro", "the tenant to move to pro");

        var again = await _stack.CheckoutAsync(tenant, "team");
        var portal = await _stack.TenantAdmin(tenant).SendAsync(HttpMethod.Post, "/v1/billing/portal-sessions", new { returnUrl = "https://app.example/billing" });

        Assert.Equal(409, again.Status);
        Assert.EndsWith("/billing-subscription-exists", (string)again.Json["type"]!);
        Assert.Equal(201, portal.Status);
        Assert.False(string.IsNullOrEmpty((string?)portal.Json["url"]));
    }

    [Theory]
    [InlineData("gold")]
    [InlineData("free")]
    [InlineData("pro")]
    [InlineData(null)]
    public async Task Refuses_a_tier_that_is_unknown_free_or_not_above_the_current_one(string? tier)
    {
        var tenant = await _stack.Api.CreateTenantAsync("pro");

        var answer = await _stack.TenantAdmin(tenant).SendAsync(HttpMethod.Post, "/v1/billing/checkout-sessions",
            new { tier, successUrl = "https://app.example/ok", cancelUrl = "https://app.example/no" });

        Assert.Equal((400, "application/problem+json"), (answer.Status, answer.ContentType));
        Assert.NotNull(answer.Json["errors"]!["tier"]);
        Assert.DoesNotContain(await _stack.RequestsAsync("/v1/checkout/sessions"), r => (string?)r["params"]!["client_reference_id"] == tenant);
    }

    [Theory]
    [InlineData("/relative", "https://app.example/no", "successUrl")]
    [InlineData("ftp://app.example/ok", "https://app.example/no", "successUrl")]
    [InlineData("https://app.example/ok", "javascript:alert(1)", "cancelUrl")]
    [InlineData("https://app.example/ok", null, "cancelUrl")]
    public async Task Refuses_urls_that_are_not_absolute_http_or_https(string? successUrl, string? cancelUrl, string field)
    {
        var tenant = await _stack.Api.CreateTenantAsync("free");

        var answer = await _stack.TenantAdmin(tenant).SendAsync(HttpMethod.Post, "/v1/billing/checkout-sessions", new { tier = "pro", successUrl, cancelUrl });

        Assert.Equal(400, answer.Status);
        Assert.NotNull(answer.Json["errors"]![field]);
    }

    [Fact]
    public async Task Answers_409_for_a_portal_session_before_the_tenant_has_a_Stripe_customer()
    {
        var tenant = await _stack.Api.CreateTenantAsync("free");

        var answer = await _stack.TenantAdmin(tenant).SendAsync(HttpMethod.Post, "/v1/billing/portal-sessions", new { returnUrl = "https://app.example/billing" });

        Assert.Equal((409, "application/problem+json"), (answer.Status, answer.ContentType));
        Assert.EndsWith("/billing-no-customer", (string)answer.Json["type"]!);
    }

    [Fact]
    public async Task Is_for_tenant_admins_only()
    {
        var tenant = await _stack.Api.CreateTenantAsync("free");
        var backend = _stack.Api.Client(TestTokens.For(tenant, "quota.check", "quota.consume"));

        var answer = await backend.SendAsync(HttpMethod.Post, "/v1/billing/checkout-sessions",
            new { tier = "pro", successUrl = "https://app.example/ok", cancelUrl = "https://app.example/no" });

        Assert.Equal(403, answer.Status);
    }
}

/// <summary>Checkout before the platform operator synced the catalogue: a clear 409, and no Stripe call.</summary>
public sealed class CheckoutBeforeCatalogSyncTests(StripeStackFixture fixture) : IClassFixture<StripeStackFixture>
{
    private readonly StripeStack _stack = fixture.Stack;

    [Fact]
    public async Task Answers_409_naming_the_catalogue_sync()
    {
        var tenant = await _stack.Api.CreateTenantAsync("free");

        var answer = await _stack.CheckoutAsync(tenant, "pro");

        Assert.Equal((409, "application/problem+json"), (answer.Status, answer.ContentType));
        Assert.EndsWith("/billing-catalog-not-synced", (string)answer.Json["type"]!);
        Assert.Contains("/v1/billing/catalog/sync", (string)answer.Json["detail"]!);
        Assert.Empty(await _stack.RequestsAsync());
    }
}
