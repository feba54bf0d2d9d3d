using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Stripe;
using TenantQuota.LocalStripe.Tests.Support;
using TenantQuota.Testing;

namespace TenantQuota.LocalStripe.Tests;

/// <summary>Signatures as Stripe.net verifies them (EventUtility), delivery retries, and send-test for tampering.</summary>
public sealed class WebhookTests
{
    [Fact]
    public async Task A_test_event_is_signed_so_that_StripeNet_verifies_it()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var server = await LocalStripeHost.StartAsync(s => s.WebhookUrl = receiver.Url);

        var sent = await SendTestAsync(server, new { type = "customer.subscription.updated", @object = new { id = "sub_1", @object = "subscription", status = "active" } });
        var received = await receiver.NextAsync("customer.subscription.updated");
        var evt = EventUtility.ConstructEvent(received.Body, received.Signature, server.WebhookSecret);

        Assert.Equal(200, (int)sent["results"]![0]!["status"]!);
        Assert.Equal(("customer.subscription.updated", StripeConfiguration.ApiVersion, false), (evt.Type, evt.ApiVersion, evt.Livemode));
        Assert.Equal("sub_1", Assert.IsType<Subscription>(evt.Data.Object).Id);
        Assert.StartsWith("evt_", evt.Id);
    }

    [Fact]
    public async Task A_tampered_body_an_old_timestamp_and_a_foreign_secret_all_fail_verification()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var server = await LocalStripeHost.StartAsync(s => s.WebhookUrl = receiver.Url);
        var genuine = WebhookBody("evt_genuine");

        await SendTestAsync(server, new { payload = genuine.Replace("\"active\"", "\"canceled\""), signedPayload = genuine });
        var tampered = await receiver.NextAsync();
        await SendTestAsync(server, new { payload = genuine, timestamp = DateTimeOffset.UtcNow.AddMinutes(-10).ToUnixTimeSeconds() });
        var stale = await receiver.NextAsync();
        await SendTestAsync(server, new { payload = genuine, secret = "whsec_someone_else" });
        var foreign = await receiver.NextAsync();

        foreach (var received in new[] { tampered, stale, foreign })
            Assert.Throws<StripeException>(() => EventUtility.ConstructEvent(received.Body, received.Signature, server.WebhookSecret));
    }

    [Fact]
    public async Task While_a_secret_rolls_each_event_carries_one_signature_per_secret_and_either_verifies()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var server = await LocalStripeHost.StartAsync(s => (s.WebhookUrl, s.WebhookSecret) = (receiver.Url, "whsec_old,whsec_new"));

        await SendTestAsync(server, new { payload = WebhookBody("evt_roll") });
        var received = await receiver.NextAsync();

        Assert.Equal(2, received.Signature.Split(',').Count(part => part.StartsWith("v1=", StringComparison.Ordinal)));
        Assert.Equal("evt_roll", EventUtility.ConstructEvent(received.Body, received.Signature, "whsec_old").Id);
        Assert.Equal("evt_roll", EventUtility.ConstructEvent(received.Body, received.Signature, "whsec_new").Id);
    }

    [Fact]
    public async Task A_failed_delivery_is_retried_with_a_fresh_signature_until_the_endpoint_answers_2xx()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var server = await LocalStripeHost.StartAsync(s =>
            (s.WebhookUrl, s.WebhookRetryDelay) = (receiver.Url, TimeSpan.FromMilliseconds(50)));
        var client = Clients.Stripe(server);
        var customer = await Catalogue.CustomerAsync(client);
        var subscriptionId = await SubscribeAsync(server, client, customer);
        await receiver.NextAsync("customer.subscription.created");
        await receiver.NextAsync("checkout.session.completed");
        receiver.AnswerNext(500, 503);

        await new SubscriptionService(client).CancelAsync(subscriptionId);
        var attempts = new[] { await receiver.NextAsync(), await receiver.NextAsync(), await receiver.NextAsync() };
        // The receiver has the third attempt before LocalStripe has read its 200: wait for LocalStripe to record it.
        var delivery = await Eventually.Until(async () => (await Clients.Http(server).GetJsonAsync("/_webhooks")).AsArray()
                .Single(d => (string)d!["type"]! == "customer.subscription.deleted")!,
            d => (bool)d["delivered"]!, "LocalStripe to record the delivery as delivered", TimeSpan.FromSeconds(10));

        Assert.All(attempts, a => Assert.Equal("customer.subscription.deleted", a.Type));
        Assert.Single(attempts.Select(a => a.Id).Distinct());
        Assert.Equal(attempts[0].Body, attempts[2].Body);
        Assert.Equal(subscriptionId, ((Subscription)EventUtility.ConstructEvent(attempts[2].Body, attempts[2].Signature, server.WebhookSecret).Data.Object).Id);
        Assert.Equal([500, 503, 200], delivery["attempts"]!.AsArray().Select(a => (int)a!["status"]!));
    }

    /// <summary>A subscription through the hosted page (the only way LocalStripe makes one).</summary>
    private static async Task<string> SubscribeAsync(LocalStripeServer server, StripeClient client, Customer customer)
    {
        var meter = await Catalogue.MeterAsync(client);
        var (_, basePrice, _) = await Catalogue.ProPlanAsync(client, meter);
        var session = await new Stripe.Checkout.SessionService(client).CreateAsync(new Stripe.Checkout.SessionCreateOptions
        {
            Mode = "subscription", Customer = customer.Id, SuccessUrl = "https://app.example/ok", LineItems = [new() { Price = basePrice.Id, Quantity = 1 }],
        });
        (await Clients.Http(server).PostAsync(new Uri(session.Url + "/pay").PathAndQuery, null)).Dispose();
        return (await new Stripe.Checkout.SessionService(client).GetAsync(session.Id)).SubscriptionId;
    }

    private static string WebhookBody(string id) => new JsonObject
    {
        ["id"] = id, ["object"] = "event", ["api_version"] = StripeConfiguration.ApiVersion, ["created"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
        ["data"] = new JsonObject { ["object"] = new JsonObject { ["id"] = "sub_1", ["object"] = "subscription", ["status"] = "active" } },
        ["livemode"] = false, ["pending_webhooks"] = 1, ["request"] = new JsonObject { ["id"] = null, ["idempotency_key"] = null },
        ["type"] = "customer.subscription.updated",
    }.ToJsonString();

    private static async Task<JsonNode> SendTestAsync(LocalStripeServer server, object body)
    {
        using var response = await Clients.Http(server).PostAsJsonAsync("/_webhooks/send-test", body);
        response.EnsureSuccessStatusCode();
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
    }
}
