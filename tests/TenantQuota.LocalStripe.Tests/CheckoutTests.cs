using System.Net;
using Stripe;
using Stripe.Checkout;
using TenantQuota.LocalStripe.Tests.Support;

namespace TenantQuota.LocalStripe.Tests;

/// <summary>The Upgrade path: a subscription checkout session, its hosted page, Pay, and the signed webhooks.</summary>
public sealed class CheckoutTests
{
    private static SessionCreateOptions Upgrade(Customer customer, Price basePrice, Price overage) => new()
    {
        Mode = "subscription",
        Customer = customer.Id,
        LineItems = [new() { Price = basePrice.Id, Quantity = 1 }, new() { Price = overage.Id }],
        SuccessUrl = "https://app.example/billing/done?session={CHECKOUT_SESSION_ID}",
        CancelUrl = "https://app.example/billing",
        Metadata = new() { ["tenant_id"] = "acme" },
        SubscriptionData = new SessionSubscriptionDataOptions { Metadata = new() { ["tenant_id"] = "acme", ["plan"] = "pro" } },
    };

    [Fact]
    public async Task Paying_on_the_hosted_page_redirects_to_success_and_sends_verifiable_webhooks()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var server = await LocalStripeHost.StartAsync(s => s.WebhookUrl = receiver.Url);
        var client = Clients.Stripe(server);
        var customer = await Catalogue.CustomerAsync(client);
        var (_, basePrice, overage) = await Catalogue.ProPlanAsync(client, await Catalogue.MeterAsync(client));
        var session = await new SessionService(client).CreateAsync(Upgrade(customer, basePrice, overage));
        var browser = Clients.Http(server);

        var page = await browser.GetStringAsync(session.Url);
        using var paid = await browser.PostAsync(new Uri(session.Url + "/pay").PathAndQuery, null);
        var created = await receiver.NextAsync("customer.subscription.created");
        var completed = await receiver.NextAsync("checkout.session.completed");

        Assert.StartsWith("cs_test_", session.Id);
        Assert.Equal($"{server.ApiBase}/checkout/{session.Id}", session.Url);
        Assert.Equal(("open", "unpaid", 4900L), (session.Status, session.PaymentStatus, session.AmountTotal!.Value));
        Assert.Contains("<button type=\"submit\">Pay</button>", page);
        Assert.Contains("href=\"https://app.example/billing\"", page);
        Assert.Equal(HttpStatusCode.SeeOther, paid.StatusCode);
        Assert.Equal($"https://app.example/billing/done?session={session.Id}", paid.Headers.Location!.ToString());

        var completedEvent = EventUtility.ConstructEvent(completed.Body, completed.Signature, server.WebhookSecret);
        var completedSession = Assert.IsType<Session>(completedEvent.Data.Object);
        Assert.Equal((session.Id, "complete", "paid", customer.Id, "acme"),
            (completedSession.Id, completedSession.Status, completedSession.PaymentStatus, completedSession.CustomerId, completedSession.Metadata["tenant_id"]));

        var subscription = Assert.IsType<Subscription>(EventUtility.ConstructEvent(created.Body, created.Signature, server.WebhookSecret).Data.Object);
        Assert.StartsWith("sub_", subscription.Id);
        Assert.Equal(completedSession.SubscriptionId, subscription.Id);
        Assert.Equal(("active", customer.Id, "pro"), (subscription.Status, subscription.CustomerId, subscription.Metadata["plan"]));
        Assert.Equal([basePrice.Id, overage.Id], subscription.Items.Data.Select(i => i.Price.Id));
        Assert.True(subscription.Items.Data[0].CurrentPeriodEnd > subscription.Items.Data[0].CurrentPeriodStart);

        var stored = await new SessionService(client).GetAsync(session.Id, new SessionGetOptions { Expand = ["subscription", "line_items"] });
        Assert.Equal(("complete", subscription.Id), (stored.Status, stored.Subscription.Id));
        Assert.Equal([basePrice.Id, overage.Id], stored.LineItems.Data.Select(l => l.Price.Id));
    }

    [Fact]
    public async Task A_session_can_be_paid_only_once()
    {
        await using var server = await LocalStripeHost.StartAsync();
        var client = Clients.Stripe(server);
        var customer = await Catalogue.CustomerAsync(client);
        var (_, basePrice, overage) = await Catalogue.ProPlanAsync(client, await Catalogue.MeterAsync(client));
        var session = await new SessionService(client).CreateAsync(Upgrade(customer, basePrice, overage));
        var browser = Clients.Http(server);

        using var first = await browser.PostAsync(new Uri(session.Url + "/pay").PathAndQuery, null);
        using var second = await browser.PostAsync(new Uri(session.Url + "/pay").PathAndQuery, null);
        var subscriptions = await new SubscriptionService(client).ListAsync(new SubscriptionListOptions { Customer = customer.Id });
        var events = await new EventService(client).ListAsync(new EventListOptions { Type = "checkout.session.completed" });

        Assert.Equal((HttpStatusCode.SeeOther, HttpStatusCode.Conflict), (first.StatusCode, second.StatusCode));
        Assert.Single(subscriptions.Data);
        Assert.Single(events.Data);
    }

    [Fact]
    public async Task Without_a_customer_paying_creates_one_from_the_email()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var server = await LocalStripeHost.StartAsync(s => s.WebhookUrl = receiver.Url);
        var client = Clients.Stripe(server);
        var (_, basePrice, _) = await Catalogue.ProPlanAsync(client, await Catalogue.MeterAsync(client));
        var session = await new SessionService(client).CreateAsync(new SessionCreateOptions
        {
            Mode = "subscription", CustomerEmail = "new@tenant.example", SuccessUrl = "https://app.example/ok",
            LineItems = [new() { Price = basePrice.Id, Quantity = 2 }],
        });

        (await Clients.Http(server).PostAsync(new Uri(session.Url + "/pay").PathAndQuery, null)).Dispose();
        var customerEvent = await receiver.NextAsync("customer.created");
        var completed = await receiver.NextAsync("checkout.session.completed");

        var customer = Assert.IsType<Customer>(EventUtility.ConstructEvent(customerEvent.Body, customerEvent.Signature, server.WebhookSecret).Data.Object);
        var paid = Assert.IsType<Session>(EventUtility.ConstructEvent(completed.Body, completed.Signature, server.WebhookSecret).Data.Object);
        Assert.Equal("new@tenant.example", customer.Email);
        Assert.Equal((customer.Id, 9800L), (paid.CustomerId, paid.AmountTotal!.Value));
    }

    [Fact]
    public async Task Line_items_follow_Stripes_quantity_rules_for_licensed_and_metered_prices()
    {
        await using var server = await LocalStripeHost.StartAsync();
        var client = Clients.Stripe(server);
        var customer = await Catalogue.CustomerAsync(client);
        var (_, basePrice, overage) = await Catalogue.ProPlanAsync(client, await Catalogue.MeterAsync(client));
        var sessions = new SessionService(client);
        var licensedWithout = Upgrade(customer, basePrice, overage);
        licensedWithout.LineItems[0].Quantity = null;
        var meteredWith = Upgrade(customer, basePrice, overage);
        meteredWith.LineItems[1].Quantity = 1;

        var missing = await Assert.ThrowsAsync<StripeException>(() => sessions.CreateAsync(licensedWithout));
        var extra = await Assert.ThrowsAsync<StripeException>(() => sessions.CreateAsync(meteredWith));

        Assert.Equal("line_items[0][quantity]", missing.StripeError.Param);
        Assert.Equal("line_items[1][quantity]", extra.StripeError.Param);
    }

    [Fact]
    public async Task Modes_other_than_subscription_are_refused_out_loud()
    {
        await using var server = await LocalStripeHost.StartAsync();

        var error = await Assert.ThrowsAsync<StripeException>(() => new SessionService(Clients.Stripe(server)).CreateAsync(new SessionCreateOptions
        {
            Mode = "payment", SuccessUrl = "https://app.example/ok", LineItems = [new() { Price = "price_x", Quantity = 1 }],
        }));

        Assert.Equal(("mode", "localstripe_unsupported"), (error.StripeError.Param, error.StripeError.Code));
    }
}
