using System.Net;
using Stripe;
using TenantQuota.LocalStripe.Tests.Support;

namespace TenantQuota.LocalStripe.Tests;

/// <summary>POST /_faults, seen through Stripe.net's own retry rules (NOTES.md §5).</summary>
public sealed class FaultInjectionTests
{
    private static async Task InjectAsync(LocalStripeServer server, object fault) =>
        (await Clients.Http(server).PostJsonAsync("/_faults", fault)).EnsureSuccessStatusCode();

    [Fact]
    public async Task StripeNet_retries_an_injected_500_with_the_same_idempotency_key_and_succeeds()
    {
        await using var server = await LocalStripeHost.StartAsync();
        await InjectAsync(server, new { pathPrefix = "/v1/customers", method = "POST", status = 500 });

        var customer = await new CustomerService(Clients.Stripe(server, retries: 2)).CreateAsync(new CustomerCreateOptions { Email = "a@acme.example" });
        var posts = (await Clients.Http(server).RequestsAsync("/v1/customers")).Where(r => (string)r!["method"]! == "POST").ToList();

        Assert.StartsWith("cus_", customer.Id);
        Assert.Equal([500, 200], posts.Select(r => (int)r!["status"]!));
        Assert.Equal(["fault", null], posts.Select(r => (string?)r!["note"]));
        var key = (string?)posts[0]!["idempotencyKey"];
        Assert.False(string.IsNullOrEmpty(key));
        Assert.Equal(key, (string?)posts[1]!["idempotencyKey"]);
    }

    [Fact]
    public async Task A_stored_500_is_replayed_to_every_retry_with_its_key_and_a_new_key_runs_anew()
    {
        await using var server = await LocalStripeHost.StartAsync();
        await InjectAsync(server, new { pathPrefix = "/v1/customers", method = "POST", status = 500, stored = true });
        var customers = new CustomerService(Clients.Stripe(server, retries: 2));
        var options = new CustomerCreateOptions { Email = "a@acme.example" };

        var error = await Assert.ThrowsAsync<StripeException>(() => customers.CreateAsync(options, new RequestOptions { IdempotencyKey = "k-1" }));
        var customer = await customers.CreateAsync(options, new RequestOptions { IdempotencyKey = "k-2" });
        var posts = (await Clients.Http(server).RequestsAsync("/v1/customers")).Where(r => (string)r!["method"]! == "POST").ToList();

        Assert.Equal(HttpStatusCode.InternalServerError, error.HttpStatusCode);
        Assert.Equal("true", error.StripeResponse.Headers.GetValues("Idempotent-Replayed").Single());
        Assert.Equal([(500, "fault", "k-1"), (500, "replay", "k-1"), (500, "replay", "k-1"), (200, null, "k-2")],
            posts.Select(r => ((int)r!["status"]!, (string?)r["note"], (string?)r["idempotencyKey"])));
        Assert.Equal([customer.Id], (await customers.ListAsync()).Data.Select(c => c.Id)); // the failed request created nothing
    }

    [Fact]
    public async Task A_stored_fault_needs_a_server_error_status()
    {
        await using var server = await LocalStripeHost.StartAsync();
        var answer = await Clients.Http(server).PostJsonAsync("/_faults", new { pathPrefix = "/v1/customers", status = 429, stored = true });
        Assert.Equal(HttpStatusCode.BadRequest, answer.StatusCode);
    }

    [Fact]
    public async Task StripeNet_does_not_retry_a_plain_429()
    {
        await using var server = await LocalStripeHost.StartAsync();
        await InjectAsync(server, new { pathPrefix = "/v1/billing/meter_events", status = 429, count = 5 });
        var client = Clients.Stripe(server, retries: 2);
        await Catalogue.MeterAsync(client);
        var customer = await Catalogue.CustomerAsync(client);

        var error = await Assert.ThrowsAsync<StripeException>(() => new Stripe.Billing.MeterEventService(client).CreateAsync(new Stripe.Billing.MeterEventCreateOptions
        {
            EventName = "api_requests", Payload = new() { ["stripe_customer_id"] = customer.Id, ["value"] = "1" },
        }));
        var requests = await Clients.Http(server).RequestsAsync("/v1/billing/meter_events");

        Assert.Equal((HttpStatusCode.TooManyRequests, "rate_limit"), (error.HttpStatusCode, error.StripeError.Code));
        Assert.Single(requests);
    }

    [Fact]
    public async Task StripeNet_retries_a_429_that_says_Stripe_Should_Retry_true()
    {
        await using var server = await LocalStripeHost.StartAsync();
        await InjectAsync(server, new { pathPrefix = "/v1/products", status = 429, shouldRetryHeader = true });

        var product = await new ProductService(Clients.Stripe(server, retries: 2)).CreateAsync(new ProductCreateOptions { Name = "Pro" });
        var requests = await Clients.Http(server).RequestsAsync("/v1/products");

        Assert.Equal("Pro", product.Name);
        Assert.Equal([429, 200], requests.Select(r => (int)r!["status"]!));
    }

    [Fact]
    public async Task A_dropped_answer_is_retried_by_StripeNet_and_replayed_so_the_object_is_created_once()
    {
        await using var server = await LocalStripeHost.StartAsync();
        await InjectAsync(server, new { pathPrefix = "/v1/customers", method = "POST", abort = true });
        var customers = new CustomerService(Clients.Stripe(server, retries: 2));

        var customer = await customers.CreateAsync(new CustomerCreateOptions { Email = "a@acme.example" });
        var all = await customers.ListAsync();
        var posts = (await Clients.Http(server).RequestsAsync("/v1/customers")).Where(r => (string)r!["method"]! == "POST").ToList();

        Assert.Equal([customer.Id], all.Data.Select(c => c.Id));
        Assert.Equal(["aborted", "replay"], posts.Select(r => (string?)r!["note"]));
    }

    [Fact]
    public async Task A_fault_answers_only_as_many_requests_as_its_count()
    {
        await using var server = await LocalStripeHost.StartAsync();
        await InjectAsync(server, new { pathPrefix = "/v1/", status = 503, count = 2 });
        var products = new ProductService(Clients.Stripe(server));

        var first = await Assert.ThrowsAsync<StripeException>(() => products.CreateAsync(new ProductCreateOptions { Name = "A" }));
        var second = await Assert.ThrowsAsync<StripeException>(() => products.ListAsync());
        var third = await products.ListAsync();

        Assert.Equal((HttpStatusCode.ServiceUnavailable, "api_error"), (first.HttpStatusCode, first.StripeError.Type));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, second.HttpStatusCode);
        Assert.Empty(third.Data);
    }

    [Fact]
    public async Task A_client_that_times_out_and_retries_gets_the_slow_requests_answer_replayed()
    {
        await using var server = await LocalStripeHost.StartAsync();
        await InjectAsync(server, new { pathPrefix = "/v1/customers", method = "POST", delayMs = 5000 });
        var impatient = new StripeClient(new StripeClientOptions
        {
            ApiKey = Clients.ApiKey, ApiBase = server.ApiBase,
            // Impatient against the 5 s delay, yet patient enough that a retry (a replay, answered at once) on a loaded CI
            // machine does not time out too.
            HttpClient = new SystemNetHttpClient(new HttpClient { Timeout = TimeSpan.FromSeconds(2) }, maxNetworkRetries: 4),
        });

        var customer = await new CustomerService(impatient).CreateAsync(new CustomerCreateOptions { Email = "a@acme.example" });
        var all = await new CustomerService(Clients.Stripe(server)).ListAsync();
        var posts = (await Clients.Http(server).RequestsAsync("/v1/customers")).Where(r => (string)r!["method"]! == "POST").ToList();

        Assert.Equal([customer.Id], all.Data.Select(c => c.Id));
        Assert.Single(posts.Select(r => (string?)r!["idempotencyKey"]).Distinct());
        Assert.Equal("replay", (string?)posts[^1]!["note"]);
        Assert.Single(posts, r => r!["note"] is null); // handled once; the others were 409 (in flight) or replays
    }
}
