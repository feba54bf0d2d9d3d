using System.Net;
using Stripe;
using TenantQuota.LocalStripe.Tests.Support;

namespace TenantQuota.LocalStripe.Tests;

public sealed class BillingPortalTests
{
    [Fact]
    public async Task The_portal_page_cancels_the_subscription_and_sends_customer_subscription_deleted()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var server = await LocalStripeHost.StartAsync(s => s.WebhookUrl = receiver.Url);
        var client = Clients.Stripe(server);
        var customer = await Catalogue.CustomerAsync(client);
        var (_, basePrice, _) = await Catalogue.ProPlanAsync(client, await Catalogue.MeterAsync(client));
        var checkout = await new Stripe.Checkout.SessionService(client).CreateAsync(new Stripe.Checkout.SessionCreateOptions
        {
            Mode = "subscription", Customer = customer.Id, SuccessUrl = "https://app.example/ok", LineItems = [new() { Price = basePrice.Id, Quantity = 1 }],
        });
        var browser = Clients.Http(server);
        (await browser.PostAsync(new Uri(checkout.Url + "/pay").PathAndQuery, null)).Dispose();
        var subscriptionId = (await new Stripe.Checkout.SessionService(client).GetAsync(checkout.Id)).SubscriptionId;

        var portal = await new Stripe.BillingPortal.SessionService(client).CreateAsync(new Stripe.BillingPortal.SessionCreateOptions
        {
            Customer = customer.Id, ReturnUrl = "https://app.example/billing",
        });
        var page = await browser.GetStringAsync(portal.Url);
        using var canceled = await browser.PostAsync(new Uri(portal.Url + "/cancel").PathAndQuery,
            new FormUrlEncodedContent([new("subscription", subscriptionId)]));
        var deleted = await receiver.NextAsync("customer.subscription.deleted");
        var after = await new SubscriptionService(client).GetAsync(subscriptionId);

        Assert.StartsWith("bps_", portal.Id);
        Assert.StartsWith("bpc_", portal.ConfigurationId);
        Assert.Contains("Cancel subscription", page);
        Assert.Contains("href=\"https://app.example/billing\"", page);
        Assert.Equal(HttpStatusCode.SeeOther, canceled.StatusCode);
        var evt = EventUtility.ConstructEvent(deleted.Body, deleted.Signature, server.WebhookSecret);
        Assert.Equal((subscriptionId, "canceled"), (((Subscription)evt.Data.Object).Id, ((Subscription)evt.Data.Object).Status));
        Assert.Equal("canceled", after.Status);
        Assert.NotNull(after.CanceledAt);
    }

    [Fact]
    public async Task A_portal_session_needs_an_existing_customer()
    {
        await using var server = await LocalStripeHost.StartAsync();
        var portal = new Stripe.BillingPortal.SessionService(Clients.Stripe(server));

        var missing = await Assert.ThrowsAsync<StripeException>(() => portal.CreateAsync(new Stripe.BillingPortal.SessionCreateOptions { ReturnUrl = "https://app.example" }));
        var unknown = await Assert.ThrowsAsync<StripeException>(() => portal.CreateAsync(new Stripe.BillingPortal.SessionCreateOptions { Customer = "cus_nope" }));

        Assert.Equal("customer", missing.StripeError.Param);
        Assert.Equal(("customer", "resource_missing"), (unknown.StripeError.Param, unknown.StripeError.Code));
    }
}
