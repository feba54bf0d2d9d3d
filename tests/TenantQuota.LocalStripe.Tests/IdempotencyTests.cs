using System.Net;
using Stripe;
using TenantQuota.LocalStripe.Tests.Support;
using TenantQuota.Testing;

namespace TenantQuota.LocalStripe.Tests;

public sealed class IdempotencyTests
{
    [Fact]
    public async Task The_same_key_and_parameters_replay_the_stored_answer()
    {
        await using var server = await LocalStripeHost.StartAsync();
        var customers = new CustomerService(Clients.Stripe(server));
        var options = new CustomerCreateOptions { Email = "a@acme.example" };
        var key = new RequestOptions { IdempotencyKey = "create-customer-acme" };

        var first = await customers.CreateAsync(options, key);
        var second = await customers.CreateAsync(options, key);
        var all = await customers.ListAsync();
        var requests = await Clients.Http(server).RequestsAsync("/v1/customers");

        Assert.Equal(first.Id, second.Id);
        Assert.Single(all.Data);
        Assert.Equal(first.StripeResponse.RequestId, second.StripeResponse.Headers.GetValues("Original-Request").Single());
        Assert.Equal([null, "replay"], requests.Where(r => (string)r!["method"]! == "POST").Select(r => (string?)r!["note"]));
    }

    [Fact]
    public async Task The_same_key_with_other_parameters_is_an_idempotency_error()
    {
        await using var server = await LocalStripeHost.StartAsync();
        var customers = new CustomerService(Clients.Stripe(server));
        var key = new RequestOptions { IdempotencyKey = "create-customer-acme" };
        await customers.CreateAsync(new CustomerCreateOptions { Email = "a@acme.example" }, key);

        var error = await Assert.ThrowsAsync<StripeException>(() => customers.CreateAsync(new CustomerCreateOptions { Email = "b@acme.example" }, key));

        Assert.Equal((HttpStatusCode.BadRequest, "idempotency_error"), (error.HttpStatusCode, error.StripeError.Type));
    }

    [Fact]
    public async Task An_error_answer_is_stored_and_replayed_too()
    {
        await using var server = await LocalStripeHost.StartAsync();
        var checkout = new Stripe.Checkout.SessionService(Clients.Stripe(server));
        var options = new Stripe.Checkout.SessionCreateOptions
        {
            Mode = "subscription", SuccessUrl = "https://app.example/ok", LineItems = [new() { Price = "price_missing", Quantity = 1 }],
        };
        var key = new RequestOptions { IdempotencyKey = "checkout-1" };

        var first = await Assert.ThrowsAsync<StripeException>(() => checkout.CreateAsync(options, key));
        var replayed = await Assert.ThrowsAsync<StripeException>(() => checkout.CreateAsync(options, key));
        var requests = await Clients.Http(server).RequestsAsync("/v1/checkout/sessions");

        Assert.Equal(("resource_missing", "line_items[0][price]"), (first.StripeError.Code, first.StripeError.Param));
        Assert.Equal(first.StripeError.Message, replayed.StripeError.Message);
        Assert.Equal("replay", (string?)requests[1]!["note"]);
    }

    [Fact]
    public async Task A_second_request_with_a_key_still_in_flight_gets_409()
    {
        await using var server = await LocalStripeHost.StartAsync();
        var http = Clients.Http(server);
        (await http.PostJsonAsync("/_faults", new { pathPrefix = "/v1/customers", method = "POST", delayMs = 5000 })).EnsureSuccessStatusCode();
        // 5 s in flight: the second request must arrive inside it, after this test has seen the first one run.

        HttpRequestMessage Create() => new(HttpMethod.Post, "/v1/customers")
        {
            Headers = { { "Authorization", $"Bearer {Clients.ApiKey}" }, { "Idempotency-Key", "slow-one" } },
            Content = new FormUrlEncodedContent([new("email", "a@acme.example")]),
        };
        var slow = http.SendAsync(Create());
        await WaitUntilInFlightAsync(server);
        using var concurrent = await http.SendAsync(Create());
        using var first = await slow;

        Assert.Equal(HttpStatusCode.Conflict, concurrent.StatusCode);
        Assert.Contains("\"idempotency_key_in_use\"", await concurrent.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
    }

    /// <summary>The slow request has run (its customer exists) but not answered: its key is in flight.</summary>
    private static async Task WaitUntilInFlightAsync(LocalStripeServer server)
    {
        var customers = new CustomerService(Clients.Stripe(server));
        await Eventually.Until(async () => (await customers.ListAsync()).Data.Count, count => count > 0, "the slow request to have run", TimeSpan.FromSeconds(10));
    }
}
