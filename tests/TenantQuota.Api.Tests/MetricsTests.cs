using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Http.Headers;
using Microsoft.Extensions.DependencyInjection;
using TenantQuota.Api.Hosting;
using TenantQuota.Api.Tests.Dashboard;
using TenantQuota.Telemetry;
using TenantQuota.Testing;

namespace TenantQuota.Api.Tests;

/// <summary>
/// The tests that read the process's meters: one at a time, with no other test running (the API's meter is one per
/// process, and OpenTelemetry drops a stream of ASP.NET Core's per-host meters when another host stops).
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MetricsCollection
{
    public const string Name = "metrics, alone";
}

/// <summary>The measurements of one meter while a test runs, as the test sees them.</summary>
public sealed class Measurements : IDisposable
{
    private readonly MeterListener _listener = new();

    public Measurements(string meterName)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == meterName) listener.EnableMeasurementEvents(instrument);
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
            Seen.Enqueue((instrument.Name, value, tags.ToArray().ToDictionary(t => t.Key, t => t.Value?.ToString()))));
        _listener.Start();
    }

    public ConcurrentQueue<(string Instrument, long Value, Dictionary<string, string?> Tags)> Seen { get; } = new();

    public void Dispose() => _listener.Dispose();
}

[Collection(MetricsCollection.Name)]
public sealed class MetricsTests(ApiHostFixture fixture) : IClassFixture<ApiHostFixture>
{
    private readonly ApiHost _host = fixture.Host;

    [Fact]
    public async Task Every_entitlement_answer_is_counted_by_endpoint_class_decision_and_replay()
    {
        var tenant = await _host.CreateTenantAsync("free");
        var client = _host.Client(TestTokens.For(tenant, "quota.check", "quota.consume"));
        using var measured = new Measurements(ApiMetrics.MeterName);

        await client.CheckAsync(new { subjectId = "ana", operationClass = "summaries" });
        await client.ConsumeAsync(new { subjectId = "ana", operationClass = "summaries", quantity = 8, idempotencyKey = "k1" }); // past soft 7: warn
        await client.ConsumeAsync(new { subjectId = "ana", operationClass = "summaries", quantity = 8, idempotencyKey = "k1" }); // replay
        await client.ConsumeAsync(new { subjectId = "ana", operationClass = "summaries", quantity = 5, idempotencyKey = "k2" }); // past hard 10: deny
        await client.ReserveAsync(new { subjectId = "ana", operationClass = "drafts", quantity = 1, idempotencyKey = "r1" });
        await client.ConsumeAsync(new { subjectId = "ana", operationClass = "poetry", quantity = 1, idempotencyKey = "k3" }); // 400: no answer, no count

        var decisions = measured.Seen.Where(m => m.Instrument == "tenantquota.decisions")
            .Select(m => (m.Value, m.Tags["endpoint"], m.Tags["operation_class"], m.Tags["decision"], m.Tags["duplicate"])).ToList();
        Assert.Equal(
        [
            (1L, "check", "summaries", "allow", "False"), (1L, "consume", "summaries", "warn", "False"), (1L, "consume", "summaries", "warn", "True"),
            (1L, "consume", "summaries", "deny", "False"), (1L, "reserve", "drafts", "allow", "False"),
        ], decisions);
    }

    [Fact]
    public async Task Metrics_are_served_as_prometheus_text_to_a_loopback_caller_with_the_decision_counters_and_request_latency()
    {
        await using var host = new ApiHost(); // started here, so its ASP.NET Core meters are the newest in the process
        var tenant = await host.CreateTenantAsync("free");
        await host.Client(TestTokens.For(tenant, "quota.check")).CheckAsync(new { subjectId = "ana", operationClass = "summaries" });

        using var response = await host.Client().GetAsync("/metrics");
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("tenantquota_decisions_total{", text);
        Assert.Contains("http_server_request_duration_seconds_bucket{", text);
        Assert.Matches("http_route=\"/v1/entitlements/check\"", text);
    }

    [Fact]
    public async Task With_a_metrics_key_only_a_scraper_presenting_it_gets_the_metrics()
    {
        await using var host = new ApiHost(new Dictionary<string, string?> { ["Telemetry:MetricsKey"] = "scrape-secret" });
        var anonymous = host.Client();
        var scraper = host.Client();
        scraper.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "scrape-secret");
        var wrong = host.Client();
        wrong.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "guess");

        using var refused = await anonymous.GetAsync("/metrics");
        using var refusedWrong = await wrong.GetAsync("/metrics");
        using var refusedUpper = await anonymous.GetAsync("/METRICS"); // routing would match these two
        using var refusedSlash = await anonymous.GetAsync("/metrics/");
        using var served = await scraper.GetAsync("/metrics");

        Assert.Equal((HttpStatusCode.Forbidden, "application/problem+json"), (refused.StatusCode, refused.Content.Headers.ContentType?.MediaType));
        Assert.Equal((HttpStatusCode.Forbidden, HttpStatusCode.Forbidden, HttpStatusCode.Forbidden),
            (refusedWrong.StatusCode, refusedUpper.StatusCode, refusedSlash.StatusCode));
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
    }

    [Fact]
    public async Task Traces_sent_to_a_collector_that_is_not_there_cost_the_answers_nothing()
    {
        await using var host = new ApiHost(new Dictionary<string, string?>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = "", ["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] = "http://127.0.0.1:9", // discard port: nobody listens
        });
        var tenant = await host.CreateTenantAsync("free");

        var answer = await host.Client(TestTokens.For(tenant, "quota.consume")).ConsumeAsync(
            new { subjectId = "ana", operationClass = "summaries", quantity = 1, idempotencyKey = "traced" });

        Assert.Equal((200, true), (answer.Status, answer.Allowed));
    }

    [Theory]
    [InlineData("127.0.0.1", null, null, true)]
    [InlineData("::1", null, null, true)]
    [InlineData("10.0.0.5", null, null, false)]
    [InlineData("10.0.0.5", "Bearer k3y", "k3y", true)]
    [InlineData("10.0.0.5", "Bearer k3", "k3y", false)]
    [InlineData("10.0.0.5", "k3y", "k3y", false)]
    [InlineData("127.0.0.1", null, "k3y", false)] // a key, once set, is asked of everyone
    public void Who_may_scrape(string caller, string? authorization, string? key, bool allowed) =>
        Assert.Equal(allowed, Telemetry.Telemetry.MayScrape(IPAddress.Parse(caller), authorization, key));
}

/// <summary>The validated-token cache's hit ratio, with the real issuer (test tokens have no key set to remember against).</summary>
[Collection(MetricsCollection.Name)]
public sealed class TokenCacheMetricsTests(DashboardStackFixture fixture) : IClassFixture<DashboardStackFixture>
{
    [Fact]
    public async Task A_token_is_a_miss_the_first_time_and_a_hit_after()
    {
        var stack = fixture.Stack;
        var tenant = await stack.NewTenantAsync();
        var client = stack.Api.Client(await stack.BackendTokenAsync(tenant));
        using var measured = new Measurements(ApiMetrics.MeterName);

        for (var i = 0; i < 3; i++) await client.CheckAsync(new { subjectId = "ana", operationClass = "summaries" });

        Assert.Equal(["miss", "hit", "hit"],
            measured.Seen.Where(m => m.Instrument == "tenantquota.auth.token_cache.lookups").Select(m => m.Tags["result"]));
    }
}
