using TenantQuota.Testing;

namespace TenantQuota.Api.Tests.Billing;

/// <summary>POST /v1/billing/catalog/sync against LocalStripe: what it makes, and that running it again changes nothing.</summary>
public sealed class CatalogSyncTests(StripeStackFixture fixture) : IClassFixture<StripeStackFixture>
{
    private readonly StripeStack _stack = fixture.Stack;

    private static readonly string[] SoldTiers = ["pro", "team", "enterprise"];
    private static readonly string[] OverageClasses = ["drafts", "deep_research", "background_indexing"];

    [Fact]
    public async Task Makes_a_product_and_monthly_price_per_paid_tier_and_a_meter_and_metered_price_per_overage_class()
    {
        var answer = await _stack.SyncCatalogAsync();

        Assert.Equal(200, answer.Status);
        var tiers = answer.Json["tiers"]!.AsArray();
        Assert.Equal(SoldTiers, tiers.Select(t => (string)t!["tier"]!));
        Assert.Equal([2000L, 9900L, 49900L], tiers.Select(t => (long)t!["unitAmount"]!));
        foreach (var tier in tiers)
        {
            var price = await _stack.StripeGetAsync($"/v1/prices/{tier!["priceId"]}");
            Assert.Equal((true, "usd", (long)tier["unitAmount"]!, "month", "licensed", (string)tier["productId"]!, $"tq_tier_{tier["tier"]}"),
                ((bool)price["active"]!, (string)price["currency"]!, (long)price["unit_amount"]!, (string)price["recurring"]!["interval"]!,
                 (string)price["recurring"]!["usage_type"]!, (string)price["product"]!, (string)price["lookup_key"]!));
        }

        var overage = answer.Json["overage"]!.AsArray();
        Assert.Equal(OverageClasses, overage.Select(o => (string)o!["operationClass"]!));
        foreach (var line in overage)
        {
            var meter = await _stack.StripeGetAsync($"/v1/billing/meters/{line!["meterId"]}");
            Assert.Equal(($"tq_overage_{line["operationClass"]}", "sum", "stripe_customer_id", (string)line["eventName"]!),
                ((string)meter["event_name"]!, (string)meter["default_aggregation"]!["formula"]!, (string)meter["customer_mapping"]!["event_payload_key"]!,
                 $"tq_overage_{line["operationClass"]}"));
            var price = await _stack.StripeGetAsync($"/v1/prices/{line["priceId"]}");
            Assert.Equal(("metered", (string)line["meterId"]!, 1L), ((string)price["recurring"]!["usage_type"]!, (string)price["recurring"]!["meter"]!, (long)price["unit_amount"]!));
        }

        Assert.Equal("mtr", (await _stack.ScalarAsync<string>("SELECT left(stripe_id, 3) FROM stripe_catalog WHERE kind = 'meter' AND key = 'drafts'")));
        Assert.Equal("tq_overage_drafts", await _stack.ScalarAsync<string>("SELECT event_name FROM stripe_catalog WHERE kind = 'meter' AND key = 'drafts'"));
        Assert.Equal((string)tiers[0]!["priceId"]!, await _stack.ScalarAsync<string>("SELECT stripe_id FROM stripe_catalog WHERE kind = 'price' AND key = 'pro'"));
    }

    [Fact]
    public async Task Sends_Stripe_no_write_the_second_time_and_answers_the_same_ids()
    {
        var first = await _stack.SyncCatalogAsync();
        var before = (await _stack.RequestsAsync()).Count;

        var second = await _stack.SyncCatalogAsync();
        var during = (await _stack.RequestsAsync()).Skip(before).ToList();

        Assert.Equal(200, second.Status);
        Assert.Empty(second.Json["changes"]!.AsArray());
        Assert.NotEmpty(during);
        Assert.All(during, request => Assert.Equal("GET", (string)request["method"]!));
        Assert.Equal(first.Json["tiers"]!.ToJsonString(), second.Json["tiers"]!.ToJsonString());
        Assert.Equal(first.Json["overage"]!.ToJsonString(), second.Json["overage"]!.ToJsonString());
    }

    [Fact]
    public async Task Keys_every_write_to_Stripe_by_what_it_makes_never_at_random()
    {
        await using var fresh = await StripeStack.StartAsync();

        await fresh.SyncCatalogAsync();

        var writes = (await fresh.RequestsAsync()).Where(r => (string)r["method"]! == "POST").ToList();
        Assert.Equal(3 + 3 + 3 + 3 + 3, writes.Count); // per tier a product and a price; per overage class a meter, a product and a price
        Assert.All(writes, w => Assert.StartsWith("catalog-", (string?)w["idempotencyKey"]));
        Assert.Contains(writes, w => (string?)w["idempotencyKey"] == "catalog-product-pro-2026-11-01");
        Assert.Contains(writes, w => (string?)w["idempotencyKey"] == "catalog-meter-tq_overage_deep_research");
        Assert.Equal(writes.Count, writes.Select(w => (string?)w["idempotencyKey"]).Distinct().Count());
    }

    [Fact]
    public async Task Makes_each_object_once_when_two_syncs_run_at_the_same_time()
    {
        await using var fresh = await StripeStack.StartAsync();

        var answers = await Task.WhenAll(fresh.SyncCatalogAsync(), fresh.SyncCatalogAsync());

        Assert.All(answers, a => Assert.Equal(200, a.Status));
        Assert.Equal(answers[0].Json["tiers"]!.ToJsonString(), answers[1].Json["tiers"]!.ToJsonString());
        Assert.Equal(15, (await fresh.RequestsAsync()).Count(r => (string)r["method"]! == "POST"));
    }

    [Fact]
    public async Task Finds_what_an_earlier_sync_made_when_the_stored_ids_are_gone()
    {
        await using var fresh = await StripeStack.StartAsync();
        var first = await fresh.SyncCatalogAsync();
        await using (var forget = fresh.Database.CreateCommand("DELETE FROM stripe_catalog"))
            await forget.ExecuteNonQueryAsync();
        var before = (await fresh.RequestsAsync()).Count;

        var second = await fresh.SyncCatalogAsync();

        Assert.Empty(second.Json["changes"]!.AsArray());
        Assert.DoesNotContain((await fresh.RequestsAsync()).Skip(before), r => (string)r["method"]! == "POST");
        Assert.Equal(first.Json["overage"]!.ToJsonString(), second.Json["overage"]!.ToJsonString());
        Assert.Equal(15L, await fresh.ScalarAsync<long>("SELECT count(*) FROM stripe_catalog"));
    }

    [Fact]
    public async Task Makes_a_new_price_that_takes_the_lookup_key_when_a_tier_price_changes()
    {
        var first = await _stack.SyncCatalogAsync();
        var oldPrice = (string)first.Json["tiers"]![0]!["priceId"]!;
        await using var repriced = new ApiHost(new Dictionary<string, string?>
        {
            ["ConnectionStrings:TenantQuota"] = _stack.Database.ConnectionString,
            ["Stripe:SecretKey"] = StripeStack.SecretKey,
            ["Stripe:BaseUrl"] = _stack.Stripe.ApiBase,
            ["Stripe:WebhookSecret"] = _stack.Stripe.WebhookSecret,
            ["Billing:Prices:pro"] = "2500",
        });

        var second = await repriced.Client(TestTokens.For(null, "platform.admin")).SendAsync(HttpMethod.Post, "/v1/billing/catalog/sync");

        var pro = second.Json["tiers"]![0]!;
        Assert.Equal(2500L, (long)pro["unitAmount"]!);
        Assert.NotEqual(oldPrice, (string)pro["priceId"]!);
        var byLookupKey = await _stack.StripeGetAsync("/v1/prices?lookup_keys[0]=tq_tier_pro");
        Assert.Equal([(string)pro["priceId"]!], byLookupKey["data"]!.AsArray().Select(p => (string)p!["id"]!));
        Assert.Equal((string)pro["priceId"]!, await _stack.ScalarAsync<string>("SELECT stripe_id FROM stripe_catalog WHERE kind = 'price' AND key = 'pro'"));
        await _stack.SyncCatalogAsync(); // put the default price back for the other tests of this class
    }

    [Fact]
    public async Task Answers_503_with_Retry_After_when_Stripe_cannot_be_reached()
    {
        await using var host = new ApiHost(StripeEvents.BillingSettings("http://127.0.0.1:9"));

        var answer = await host.Client(TestTokens.For(null, "platform.admin")).SendAsync(HttpMethod.Post, "/v1/billing/catalog/sync");

        Assert.Equal((503, "application/problem+json"), (answer.Status, answer.ContentType));
        Assert.EndsWith("/stripe-unavailable", (string)answer.Json["type"]!);
        Assert.Equal("10", answer.Header("Retry-After"));
    }

    [Fact]
    public async Task Answers_502_when_Stripe_refuses_the_request()
    {
        await _stack.InjectFaultAsync(new { pathPrefix = "/v1/products", status = 400, count = 1 });

        var answer = await _stack.SyncCatalogAsync();

        Assert.Equal((502, "application/problem+json"), (answer.Status, answer.ContentType));
        Assert.EndsWith("/stripe-rejected", (string)answer.Json["type"]!);
    }

    [Fact]
    public async Task Is_for_the_platform_operator_only()
    {
        var tenant = await _stack.Api.CreateTenantAsync("free");

        var answer = await _stack.TenantAdmin(tenant).SendAsync(HttpMethod.Post, "/v1/billing/catalog/sync");

        Assert.Equal(403, answer.Status);
    }
}
