using Microsoft.Extensions.DependencyInjection;
using TenantQuota.Testing;
using static TenantQuota.Api.Tests.Billing.StripeEvents;

namespace TenantQuota.Api.Tests.Billing;

/// <summary>An API host with billing on; its Stripe is unreachable, which webhooks never need.</summary>
public sealed class WebhookHostFixture : IAsyncLifetime
{
    public ApiHost Host { get; } = new(BillingSettings());

    public Task InitializeAsync()
    {
        _ = Host.Address;
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await Host.DisposeAsync();
}

/// <summary>
/// POST /v1/billing/stripe/webhook: the signature is the authentication; events are stored by id before
/// anything acts on them, acted on once, in the order of Stripe's event times.
/// </summary>
public sealed class StripeWebhookTests(WebhookHostFixture fixture) : IClassFixture<WebhookHostFixture>
{
    private readonly ApiHost _host = fixture.Host;
    private DateTimeOffset Now => _host.Clock.GetUtcNow();

    private async Task<(string Tenant, string Customer, string Subscription)> PaidTenantAsync(string tier = "pro")
    {
        var tenant = await _host.CreateTenantAsync("free");
        var customer = await GiveCustomerAsync(tenant);
        var subscription = NewId("sub");
        var completed = await _host.DeliverSignedAsync(Event("checkout.session.completed", Now, CheckoutSession(tenant, tier, subscription, customer)));
        Assert.Equal(200, completed.Status);
        Assert.Equal(tier, (await TenantAsync(tenant)).Tier);
        return (tenant, customer, subscription);
    }

    [Fact]
    public async Task Moves_the_tenant_to_the_bought_tier_when_checkout_completes()
    {
        var tenant = await _host.CreateTenantAsync("free");
        var customer = await GiveCustomerAsync(tenant);
        var json = Event("checkout.session.completed", Now, CheckoutSession(tenant, "pro", NewId("sub"), customer));

        var answer = await _host.DeliverSignedAsync(json);
        var check = await _host.Client(TestTokens.For(tenant, "quota.check")).CheckAsync(new { subjectId = "u", operationClass = "summaries" });

        Assert.Equal((200, false), (answer.Status, (bool)answer.Json["duplicate"]!));
        Assert.StartsWith("applied", (string)answer.Json["outcome"]!);
        Assert.Equal(("pro", 200L), ((string)check.Json["tier"]!, (long)check.Json["hardLimit"]!));
        Assert.Equal(1, await StoredEventsAsync(IdOf(json)));
    }

    [Fact]
    public async Task Refuses_a_body_changed_after_signing_and_stores_nothing()
    {
        var tenant = await _host.CreateTenantAsync("free");
        var json = Event("checkout.session.completed", Now, CheckoutSession(tenant, "pro", NewId("sub"), NewId("cus")));
        var signature = Sign(json, Now);

        var answer = await _host.DeliverAsync(json.Replace("\"pro\"", "\"enterprise\""), signature);

        AssertInvalidSignature(answer);
        Assert.Equal(0, await StoredEventsAsync(IdOf(json)));
        Assert.Equal("free", (await TenantAsync(tenant)).Tier);
    }

    [Fact]
    public async Task Refuses_a_signature_made_with_another_secret()
    {
        var json = Event("checkout.session.completed", Now, CheckoutSession("acme", "pro", NewId("sub"), NewId("cus")));

        var answer = await _host.DeliverAsync(json, Sign(json, Now, "whsec_somebody_else"));

        AssertInvalidSignature(answer);
        Assert.Equal(0, await StoredEventsAsync(IdOf(json)));
    }

    [Theory]
    [InlineData(-301)]
    [InlineData(301)]
    public async Task Refuses_a_signature_timed_more_than_300_seconds_from_now(int offsetSeconds)
    {
        var json = Event("customer.created", Now, new { id = NewId("cus"), @object = "customer" });

        var answer = await _host.DeliverAsync(json, Sign(json, Now.AddSeconds(offsetSeconds)));

        AssertInvalidSignature(answer);
        Assert.Equal(0, await StoredEventsAsync(IdOf(json)));
    }

    [Fact]
    public async Task Accepts_a_signature_timed_within_300_seconds()
    {
        var json = Event("customer.created", Now, new { id = NewId("cus"), @object = "customer" });

        var answer = await _host.DeliverAsync(json, Sign(json, Now.AddSeconds(-290)));

        Assert.Equal(200, answer.Status);
        Assert.Equal(1, await StoredEventsAsync(IdOf(json)));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("t=1,v0=abc")]
    [InlineData("garbage")]
    public async Task Refuses_a_delivery_without_a_usable_signature(string? signature)
    {
        var json = Event("customer.created", Now, new { id = NewId("cus"), @object = "customer" });

        var answer = await _host.DeliverAsync(json, signature);

        AssertInvalidSignature(answer);
        Assert.Equal(0, await StoredEventsAsync(IdOf(json)));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Accepts_either_signature_while_Stripe_rolls_the_secret(bool oursFirst)
    {
        var json = Event("customer.created", Now, new { id = NewId("cus"), @object = "customer" });
        var ours = Sign(json, Now).Split(',')[1];
        var theirs = Sign(json, Now, "whsec_the_next_secret").Split(',')[1];

        var answer = await _host.DeliverAsync(json, $"t={Now.ToUnixTimeSeconds()},{(oursFirst ? ours : theirs)},{(oursFirst ? theirs : ours)}");

        Assert.Equal(200, answer.Status);
    }

    [Fact]
    public async Task Takes_an_event_larger_than_other_endpoints_accept_and_refuses_one_over_512_KB()
    {
        var large = Event("customer.updated", Now, new { id = NewId("cus"), @object = "customer", description = new string('x', 200 * 1024) });
        var tooLarge = Event("customer.updated", Now, new { id = NewId("cus"), @object = "customer", description = new string('x', 600 * 1024) });

        var accepted = await _host.DeliverSignedAsync(large);
        var refused = await _host.DeliverSignedAsync(tooLarge);

        Assert.Equal(200, accepted.Status);
        Assert.Equal((413, "application/problem+json"), (refused.Status, refused.ContentType));
        Assert.Equal(0, await StoredEventsAsync(IdOf(tooLarge)));
    }

    [Fact]
    public async Task Refuses_a_signed_body_that_is_not_a_Stripe_event()
    {
        const string json = """{ "hello": "world" }""";

        var answer = await _host.DeliverAsync(json, Sign(json, Now));

        Assert.Equal((400, "application/problem+json"), (answer.Status, answer.ContentType));
        Assert.EndsWith("/malformed-body", (string)answer.Json["type"]!);
    }

    [Fact]
    public async Task Changes_nothing_when_the_same_event_arrives_again()
    {
        var tenant = await _host.CreateTenantAsync("free");
        var customer = await GiveCustomerAsync(tenant);
        var json = Event("checkout.session.completed", Now, CheckoutSession(tenant, "team", NewId("sub"), customer));
        var before = await TenantAsync(tenant);

        var first = await _host.DeliverSignedAsync(json);
        var afterFirst = await TenantAsync(tenant);
        var processed = await ProcessedAsync(IdOf(json));
        _host.Clock.Advance(TimeSpan.FromMinutes(1));
        var second = await _host.DeliverSignedAsync(json);

        Assert.Equal((200, false), (first.Status, (bool)first.Json["duplicate"]!));
        Assert.Equal((200, true), (second.Status, (bool)second.Json["duplicate"]!));
        Assert.Equal(("team", before.Version + 1), afterFirst);
        Assert.Equal(afterFirst, await TenantAsync(tenant));
        Assert.Equal(1, await StoredEventsAsync(IdOf(json)));
        Assert.Equal(processed, await ProcessedAsync(IdOf(json))); // acted on once: the second delivery did not run it again
        Assert.Equal((string)first.Json["outcome"]!, (string)second.Json["outcome"]!);
    }

    [Fact]
    public async Task Acts_once_on_one_event_delivered_many_times_at_once()
    {
        var tenant = await _host.CreateTenantAsync("free");
        var customer = await GiveCustomerAsync(tenant);
        var json = Event("checkout.session.completed", Now, CheckoutSession(tenant, "pro", NewId("sub"), customer));
        var before = await TenantAsync(tenant);

        var answers = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => _host.DeliverSignedAsync(json)));

        Assert.All(answers, a => Assert.Equal(200, a.Status));
        Assert.Single(answers, a => !(bool)a.Json["duplicate"]!);
        Assert.Equal(("pro", before.Version + 1), await TenantAsync(tenant));
    }

    [Fact]
    public async Task Keeps_the_newer_tier_when_an_older_subscription_update_arrives_late()
    {
        var (tenant, customer, subscription) = await PaidTenantAsync("pro");
        var upgraded = Event("customer.subscription.updated", Now.AddSeconds(20), Subscription(subscription, tenant, "team", "active", customer));
        var older = Event("customer.subscription.updated", Now.AddSeconds(10), Subscription(subscription, tenant, "pro", "active", customer));

        await _host.DeliverSignedAsync(upgraded);
        var late = await _host.DeliverSignedAsync(older);

        Assert.Equal(200, late.Status);
        Assert.StartsWith("stale", (string)late.Json["outcome"]!);
        Assert.Equal("team", (await TenantAsync(tenant)).Tier);
    }

    [Fact]
    public async Task Keeps_the_tier_when_an_incomplete_subscription_of_the_same_second_arrives_after_checkout()
    {
        var tenant = await _host.CreateTenantAsync("free");
        var customer = await GiveCustomerAsync(tenant);
        var subscription = NewId("sub");
        var second = Now;

        await _host.DeliverSignedAsync(Event("checkout.session.completed", second, CheckoutSession(tenant, "pro", subscription, customer)));
        var created = await _host.DeliverSignedAsync(Event("customer.subscription.created", second, Subscription(subscription, tenant, "pro", "incomplete", customer)));

        Assert.StartsWith("stale", (string)created.Json["outcome"]!);
        Assert.Equal("pro", (await TenantAsync(tenant)).Tier);
    }

    [Fact]
    public async Task Moves_the_tenant_to_the_free_tier_when_the_subscription_is_deleted()
    {
        var (tenant, customer, subscription) = await PaidTenantAsync("team");

        var deleted = await _host.DeliverSignedAsync(Event("customer.subscription.deleted", Now.AddSeconds(5), Subscription(subscription, tenant, "team", "canceled", customer)));
        var check = await _host.Client(TestTokens.For(tenant, "quota.check")).CheckAsync(new { subjectId = "u", operationClass = "summaries" });

        Assert.Equal(200, deleted.Status);
        Assert.Equal(("free", "free"), ((await TenantAsync(tenant)).Tier, (string)check.Json["tier"]!));
    }

    [Fact]
    public async Task Ignores_the_deletion_of_a_subscription_that_is_not_the_tenants_current_one()
    {
        var (tenant, customer, _) = await PaidTenantAsync("pro");

        var deleted = await _host.DeliverSignedAsync(Event("customer.subscription.deleted", Now.AddSeconds(5), Subscription(NewId("sub"), tenant, "pro", "canceled", customer)));

        Assert.StartsWith("ignored", (string)deleted.Json["outcome"]!);
        Assert.Equal("pro", (await TenantAsync(tenant)).Tier);
    }

    [Fact]
    public async Task Keeps_the_tier_for_seven_days_after_a_failed_payment_then_moves_to_free_until_paid()
    {
        var (tenant, customer, subscription) = await PaidTenantAsync("pro");
        var failedAt = Now.AddSeconds(5);

        await _host.DeliverSignedAsync(Event("invoice.payment_failed", failedAt, Invoice(subscription, tenant, "pro", customer, "open")));
        var duringGrace = (await TenantAsync(tenant)).Tier;
        _host.Clock.Set(failedAt.AddDays(7).AddSeconds(-1));
        await _host.DeliverSignedAsync(Event("customer.created", Now, new { id = NewId("cus"), @object = "customer" }));
        var lastSecondOfGrace = (await TenantAsync(tenant)).Tier;
        _host.Clock.Set(failedAt.AddDays(7));
        await _host.DeliverSignedAsync(Event("customer.created", Now, new { id = NewId("cus"), @object = "customer" })); // any event runs the grace check
        var afterGrace = (await TenantAsync(tenant)).Tier;
        await _host.DeliverSignedAsync(Event("invoice.paid", Now, Invoice(subscription, tenant, "pro", customer, "paid")));

        Assert.Equal(("pro", "pro", "free"), (duringGrace, lastSecondOfGrace, afterGrace));
        Assert.Equal("pro", (await TenantAsync(tenant)).Tier);
    }

    [Fact]
    public async Task Moves_a_tenant_whose_grace_has_ended_when_the_worker_runs_the_check()
    {
        var (tenant, customer, subscription) = await PaidTenantAsync("pro");
        await _host.DeliverSignedAsync(Event("invoice.payment_failed", Now, Invoice(subscription, tenant, "pro", customer, "open")));
        _host.Clock.Advance(TimeSpan.FromDays(8));

        await using var scope = _host.Services.CreateAsyncScope();
        var moved = await scope.ServiceProvider.GetRequiredService<TenantQuota.Billing.Subscriptions.BillingSubscriptions>().EnforceGraceAsync(CancellationToken.None);

        Assert.Contains(tenant, moved);
        Assert.Equal("free", (await TenantAsync(tenant)).Tier);
    }

    [Fact]
    public async Task Stores_an_event_of_another_api_version_and_acts_on_it()
    {
        var tenant = await _host.CreateTenantAsync("free");
        var customer = await GiveCustomerAsync(tenant);
        var json = Event("checkout.session.completed", Now, CheckoutSession(tenant, "pro", NewId("sub"), customer), apiVersion: "2025-01-27.acacia");

        var answer = await _host.DeliverSignedAsync(json);

        Assert.Equal(200, answer.Status);
        Assert.Equal("pro", (await TenantAsync(tenant)).Tier);
        await using var command = ApiHost.Database.CreateCommand("SELECT api_version FROM stripe_events WHERE id = $1");
        command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = IdOf(json) });
        Assert.Equal("2025-01-27.acacia", (string?)await command.ExecuteScalarAsync());
    }

    [Fact]
    public async Task Stores_an_event_it_does_not_act_on_and_says_so()
    {
        var json = Event("product.created", Now, new { id = NewId("prod"), @object = "product" });

        var answer = await _host.DeliverSignedAsync(json);

        Assert.Equal(200, answer.Status);
        Assert.StartsWith("ignored", (string)answer.Json["outcome"]!);
        Assert.Equal(1, await StoredEventsAsync(IdOf(json)));
    }

    [Fact]
    public async Task Ignores_metadata_that_names_a_tenant_other_than_the_customers_owner()
    {
        var victim = await _host.CreateTenantAsync("free");
        var attacker = await _host.CreateTenantAsync("free");
        var attackersCustomer = await GiveCustomerAsync(attacker);

        var answer = await _host.DeliverSignedAsync(Event("checkout.session.completed", Now, CheckoutSession(victim, "enterprise", NewId("sub"), attackersCustomer)));

        Assert.StartsWith("ignored", (string)answer.Json["outcome"]!);
        Assert.Equal(("free", "free"), ((await TenantAsync(victim)).Tier, (await TenantAsync(attacker)).Tier));
    }

    [Fact]
    public async Task Waits_for_payment_when_a_checkout_completes_unpaid()
    {
        var tenant = await _host.CreateTenantAsync("free");
        var customer = await GiveCustomerAsync(tenant);

        var answer = await _host.DeliverSignedAsync(Event("checkout.session.completed", Now, CheckoutSession(tenant, "pro", NewId("sub"), customer, paymentStatus: "unpaid")));

        Assert.StartsWith("ignored", (string)answer.Json["outcome"]!);
        Assert.Equal("free", (await TenantAsync(tenant)).Tier);
    }

    private static async Task<(DateTime ProcessedAt, string Outcome)> ProcessedAsync(string eventId)
    {
        await using var command = ApiHost.Database.CreateCommand("SELECT processed_at, outcome FROM stripe_events WHERE id = $1");
        command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = eventId });
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        return (reader.GetDateTime(0), reader.GetString(1));
    }

    private static void AssertInvalidSignature(ApiAnswer answer)
    {
        Assert.Equal((400, "application/problem+json"), (answer.Status, answer.ContentType));
        Assert.EndsWith("/invalid-signature", (string)answer.Json["type"]!);
    }
}
