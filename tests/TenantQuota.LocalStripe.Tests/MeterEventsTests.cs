using Stripe;
using Stripe.Billing;
using TenantQuota.LocalStripe.Tests.Support;

namespace TenantQuota.LocalStripe.Tests;

public sealed class MeterEventsTests
{
    /// <summary>The start of the current UTC hour, read once per test (xunit makes one instance per test).</summary>
    private readonly DateTime Hour = DateTime.UnixEpoch.AddHours(Math.Floor((DateTime.UtcNow - DateTime.UnixEpoch).TotalHours));

    private static Task<MeterEvent> SendAsync(StripeClient client, string customer, string value, string identifier, DateTime at, string? idempotencyKey = null) =>
        new MeterEventService(client).CreateAsync(new MeterEventCreateOptions
        {
            EventName = "api_requests", Identifier = identifier, Timestamp = at,
            Payload = new() { ["stripe_customer_id"] = customer, ["value"] = value },
        }, new RequestOptions { IdempotencyKey = idempotencyKey });

    private static async Task<List<MeterEventSummary>> SummariesAsync(StripeClient client, string meter, string customer, DateTime start, DateTime end, string? window = null) =>
        (await new MeterEventSummaryService(client).ListAsync(meter, new MeterEventSummaryListOptions
        {
            Customer = customer, StartTime = start, EndTime = end, ValueGroupingWindow = window, Limit = 100,
        })).Data;

    [Fact]
    public async Task Summaries_add_up_the_values_received_for_the_customer_and_the_window()
    {
        await using var server = await LocalStripeHost.StartAsync();
        var client = Clients.Stripe(server);
        var meter = await Catalogue.MeterAsync(client);
        var (acme, umbrella) = (await Catalogue.CustomerAsync(client, "acme"), await Catalogue.CustomerAsync(client, "umbrella"));

        var accepted = await SendAsync(client, acme.Id, "25", "u-1", Hour.AddMinutes(-50));
        await SendAsync(client, acme.Id, "17.5", "u-2", Hour.AddMinutes(-10));
        await SendAsync(client, umbrella.Id, "1000", "u-3", Hour.AddMinutes(-10));
        await SendAsync(client, acme.Id, "3", "u-4", Hour.AddHours(-3)); // before the window

        var whole = await SummariesAsync(client, meter.Id, acme.Id, Hour.AddHours(-1), Hour.AddHours(1));
        var hourly = await SummariesAsync(client, meter.Id, acme.Id, Hour.AddHours(-2), Hour.AddHours(1), "hour");

        Assert.Equal(("api_requests", "u-1", "25"), (accepted.EventName, accepted.Identifier, accepted.Payload["value"]));
        var summary = Assert.Single(whole);
        Assert.Equal((42.5m, meter.Id, Hour.AddHours(-1), Hour.AddHours(1)), ((decimal)summary.AggregatedValue, summary.Meter, summary.StartTime, summary.EndTime));
        Assert.Equal([0m, 42.5m, 0m], hourly.Select(s => (decimal)s.AggregatedValue).Reverse());
        Assert.Equal([Hour, Hour.AddHours(-1), Hour.AddHours(-2)], hourly.Select(s => s.StartTime));
    }

    [Fact]
    public async Task A_duplicate_identifier_is_refused_and_counted_once()
    {
        await using var server = await LocalStripeHost.StartAsync();
        var client = Clients.Stripe(server);
        var meter = await Catalogue.MeterAsync(client);
        var customer = await Catalogue.CustomerAsync(client);

        await SendAsync(client, customer.Id, "10", "usage-record-1", Hour.AddMinutes(-5));
        var duplicate = await Assert.ThrowsAsync<StripeException>(() => SendAsync(client, customer.Id, "10", "usage-record-1", Hour.AddMinutes(-5)));
        var summary = Assert.Single(await SummariesAsync(client, meter.Id, customer.Id, Hour.AddHours(-1), Hour.AddHours(1)));
        var log = await Clients.Http(server).GetJsonAsync("/_meter_events");

        Assert.Equal((400, "invalid_request_error", "identifier"), ((int)duplicate.HttpStatusCode, duplicate.StripeError.Type, duplicate.StripeError.Param));
        Assert.Contains("usage-record-1", duplicate.StripeError.Message);
        Assert.Equal(10m, (decimal)summary.AggregatedValue);
        Assert.Equal((1, 1, 1), ((int)log["accepted"]!, (int)log["duplicatesRefused"]!, (int)log["events"]![0]!["duplicatesSeen"]!));
    }

    [Fact]
    public async Task A_retry_with_the_same_idempotency_key_replays_the_first_answer_instead_of_hitting_the_identifier_check()
    {
        await using var server = await LocalStripeHost.StartAsync();
        var client = Clients.Stripe(server);
        await Catalogue.MeterAsync(client);
        var customer = await Catalogue.CustomerAsync(client);

        var first = await SendAsync(client, customer.Id, "10", "usage-record-2", Hour.AddMinutes(-5), idempotencyKey: "usage-record-2");
        var retry = await SendAsync(client, customer.Id, "10", "usage-record-2", Hour.AddMinutes(-5), idempotencyKey: "usage-record-2");
        var log = await Clients.Http(server).GetJsonAsync("/_meter_events");

        Assert.Equal(first.Identifier, retry.Identifier);
        Assert.Equal("true", retry.StripeResponse.Headers.GetValues("Idempotent-Replayed").Single());
        Assert.Equal((1, 0), ((int)log["accepted"]!, (int)log["duplicatesRefused"]!));
    }

    [Fact]
    public async Task Concurrent_events_with_one_identifier_are_accepted_exactly_once()
    {
        await using var server = await LocalStripeHost.StartAsync();
        var client = Clients.Stripe(server);
        await Catalogue.MeterAsync(client);
        var customer = await Catalogue.CustomerAsync(client);

        var attempts = await Task.WhenAll(Enumerable.Range(0, 20).Select(async _ =>
        {
            try { await SendAsync(client, customer.Id, "1", "same", Hour.AddMinutes(-1)); return true; }
            catch (StripeException) { return false; }
        }));
        var log = await Clients.Http(server).GetJsonAsync("/_meter_events");

        Assert.Equal(1, attempts.Count(ok => ok));
        Assert.Equal((1, 19), ((int)log["accepted"]!, (int)log["duplicatesRefused"]!));
    }

    [Theory]
    [InlineData(-36 * 24 * 60)]
    [InlineData(6)]
    public async Task A_timestamp_older_than_35_days_or_more_than_5_minutes_ahead_is_400(int minutesFromNow)
    {
        await using var server = await LocalStripeHost.StartAsync();
        var client = Clients.Stripe(server);
        await Catalogue.MeterAsync(client);
        var customer = await Catalogue.CustomerAsync(client);

        var error = await Assert.ThrowsAsync<StripeException>(() => SendAsync(client, customer.Id, "1", "t", DateTime.UtcNow.AddMinutes(minutesFromNow)));

        Assert.Equal((400, "timestamp"), ((int)error.HttpStatusCode, error.StripeError.Param));
    }

    [Fact]
    public async Task An_event_for_an_unknown_customer_or_without_a_numeric_value_is_400()
    {
        await using var server = await LocalStripeHost.StartAsync();
        var client = Clients.Stripe(server);
        await Catalogue.MeterAsync(client);
        var customer = await Catalogue.CustomerAsync(client);

        var unknown = await Assert.ThrowsAsync<StripeException>(() => SendAsync(client, "cus_nope", "1", "a", Hour));
        var notANumber = await Assert.ThrowsAsync<StripeException>(() => SendAsync(client, customer.Id, "many", "b", Hour));

        Assert.Equal("payload[stripe_customer_id]", unknown.StripeError.Param);
        Assert.Equal("payload[value]", notANumber.StripeError.Param);
    }

    [Fact]
    public async Task Summary_times_must_be_whole_minutes()
    {
        await using var server = await LocalStripeHost.StartAsync();
        var client = Clients.Stripe(server);
        var meter = await Catalogue.MeterAsync(client);
        var customer = await Catalogue.CustomerAsync(client);

        var error = await Assert.ThrowsAsync<StripeException>(() => SummariesAsync(client, meter.Id, customer.Id, Hour.AddSeconds(1), Hour.AddHours(1)));

        Assert.Equal("start_time", error.StripeError.Param);
    }
}
