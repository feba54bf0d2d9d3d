using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Stripe;
using TenantQuota.LocalStripe.Tests.Support;

namespace TenantQuota.LocalStripe.Tests;

/// <summary>The wire itself, in raw HTTP: authentication, headers, form decoding, validation against the spec subset.</summary>
public sealed class WireFormatTests
{
    private static async Task<(HttpStatusCode Status, JsonNode Body, HttpResponseMessage Response)> PostAsync(
        LocalStripeServer server, string path, string form, string? authorization = $"Bearer {Clients.ApiKey}")
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(form, Encoding.UTF8, "application/x-www-form-urlencoded") };
        if (authorization is not null) request.Headers.TryAddWithoutValidation("Authorization", authorization);
        var response = await Clients.Http(server).SendAsync(request);
        return (response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync())!, response);
    }

    [Theory]
    [InlineData(null, "You did not provide an API key")]
    [InlineData("Bearer sk_live_123456789012345", "Invalid API Key provided")]
    [InlineData("Bearer pk_test_123456789012345", "Invalid API Key provided")]
    public async Task A_request_without_a_test_secret_key_is_401_in_Stripes_error_shape(string? authorization, string message)
    {
        await using var server = await LocalStripeHost.StartAsync();

        var (status, body, _) = await PostAsync(server, "/v1/customers", "email=a%40b.example", authorization);

        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Equal("invalid_request_error", (string?)body["error"]!["type"]);
        Assert.Contains(message, (string?)body["error"]!["message"]);
    }

    [Fact]
    public async Task Basic_auth_with_the_key_as_user_name_is_accepted_and_a_configured_key_list_is_enforced()
    {
        await using var server = await LocalStripeHost.StartAsync(s => s.SecretKey = "sk_test_only_this_one");
        var basic = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("sk_test_only_this_one:"));

        var (accepted, _, _) = await PostAsync(server, "/v1/customers", "email=a%40b.example", basic);
        var (refused, _, _) = await PostAsync(server, "/v1/customers", "email=a%40b.example", $"Bearer {Clients.ApiKey}");

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.Unauthorized), (accepted, refused));
    }

    [Fact]
    public async Task Every_answer_carries_a_Request_Id_and_v1_answers_the_Stripe_Version()
    {
        await using var server = await LocalStripeHost.StartAsync();
        var http = Clients.Http(server);

        var (_, _, created) = await PostAsync(server, "/v1/customers", "email=a%40b.example");
        using var unknown = await http.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/v1/nothing_here")
        {
            Headers = { Authorization = new AuthenticationHeaderValue("Bearer", Clients.ApiKey) },
        });
        using var admin = await http.GetAsync("/_requests");

        foreach (var response in new[] { created, unknown, admin })
            Assert.StartsWith("req_", response.Headers.GetValues("Request-Id").Single());
        Assert.Equal(StripeConfiguration.ApiVersion, created.Headers.GetValues("Stripe-Version").Single());
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Contains("Unrecognized request URL (GET: /v1/nothing_here)", await unknown.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("/v1/customers", "email=a%40b.example&colour=blue", "colour", "Received unknown parameter: colour")]
    [InlineData("/v1/customers", "address[planet]=mars", "address[planet]", "Received unknown parameter: address[planet]")]
    [InlineData("/v1/billing/meters", "event_name=x&default_aggregation[formula]=sum", "display_name", "Missing required param: display_name.")]
    [InlineData("/v1/billing/meters", "display_name=x&event_name=x&default_aggregation[formula]=median", "default_aggregation[formula]", "Invalid default_aggregation[formula]: must be one of count, last, sum")]
    [InlineData("/v1/billing/meters", "display_name=x&event_name=x", "default_aggregation", "Missing required param: default_aggregation.")]
    [InlineData("/v1/prices", "currency=usd&unit_amount=lots", "unit_amount", "Invalid integer: lots")]
    [InlineData("/v1/checkout/sessions", "mode=subscription&line_items[0][price]=p&line_items[0][colour]=red", "line_items[0][colour]", "Received unknown parameter: line_items[0][colour]")]
    [InlineData("/v1/checkout/sessions", "mode=subscription&line_items[x][price]=p", "line_items", "Invalid array")]
    [InlineData("/v1/billing/meter_events", "event_name=e&payload[value][deep]=1", "payload[value]", "Invalid string")]
    public async Task Parameters_are_checked_against_the_spec_subset(string path, string form, string param, string message)
    {
        await using var server = await LocalStripeHost.StartAsync();

        var (status, body, _) = await PostAsync(server, path, form);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(("invalid_request_error", param), ((string?)body["error"]!["type"], (string?)body["error"]!["param"]));
        Assert.StartsWith(message, (string?)body["error"]!["message"]);
    }

    [Fact]
    public async Task Query_parameters_of_a_GET_are_checked_too()
    {
        await using var server = await LocalStripeHost.StartAsync();
        var http = Clients.Http(server);
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Clients.ApiKey);

        using var missing = await http.GetAsync("/v1/billing/meters/mtr_x/event_summaries?customer=cus_1&start_time=0");
        using var badEnum = await http.GetAsync("/v1/billing/meters?status=paused");

        Assert.Contains("Missing required param: end_time.", await missing.Content.ReadAsStringAsync());
        Assert.Contains("\"param\": \"status\"", await badEnum.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Brackets_may_be_percent_encoded_and_expand_may_use_empty_brackets()
    {
        await using var server = await LocalStripeHost.StartAsync();

        var (status, body, _) = await PostAsync(server, "/v1/customers", "metadata%5Btenant_id%5D=acme&expand[]=test_clock&name=A+B");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(("acme", "A B"), ((string?)body["metadata"]!["tenant_id"], (string?)body["name"]));
    }

    [Fact]
    public async Task An_empty_metadata_clears_every_key()
    {
        await using var server = await LocalStripeHost.StartAsync();
        var (_, created, _) = await PostAsync(server, "/v1/customers", "metadata[a]=1&metadata[b]=2");

        var (_, updated, _) = await PostAsync(server, $"/v1/customers/{created["id"]}", "metadata=");

        Assert.Empty(updated["metadata"]!.AsObject());
    }

    [Fact]
    public async Task A_JSON_body_is_refused()
    {
        await using var server = await LocalStripeHost.StartAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/customers") { Content = new StringContent("{\"email\":\"a@b.example\"}", Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Clients.ApiKey);

        using var response = await Clients.Http(server).SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task StripeNet_sends_its_pinned_Stripe_Version_and_an_Idempotency_Key_on_every_POST_and_none_on_GET()
    {
        await using var server = await LocalStripeHost.StartAsync();
        var customers = new CustomerService(Clients.Stripe(server));
        var customer = await customers.CreateAsync(new CustomerCreateOptions { Name = "A" });
        await customers.GetAsync(customer.Id);

        var requests = await Clients.Http(server).RequestsAsync();

        Assert.All(requests, r => Assert.Equal(StripeConfiguration.ApiVersion, (string?)r!["stripeVersion"]));
        Assert.False(string.IsNullOrEmpty((string?)requests.Single(r => (string)r!["method"]! == "POST")!["idempotencyKey"]));
        Assert.Null((string?)requests.Single(r => (string)r!["method"]! == "GET")!["idempotencyKey"]);
    }
}
