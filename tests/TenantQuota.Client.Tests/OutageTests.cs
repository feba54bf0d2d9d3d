using System.Net;
using System.Text.Json.Nodes;
using TenantQuota.Testing;

namespace TenantQuota.Client.Tests;

/// <summary>
/// PostgreSQL goes away from the API (its connections dropped and refused, <see cref="OutageStackFixture"/>): a
/// fail-closed class denies, a fail-open class allows and its consumes are recorded exactly once when the database is back.
/// </summary>
public sealed class OutageTests(OutageStackFixture fixture) : IClassFixture<OutageStackFixture>
{
    private readonly DashboardStack _stack = fixture.Stack;
    private readonly TcpProxy _database = fixture.Database;

    private static readonly Dictionary<string, string?> SummariesFailOpen = new()
    {
        ["TenantQuota:FailureModes:summaries"] = "Open", // deep_research keeps the default, Closed
        ["TenantQuota:BreakDuration"] = "00:00:00.200",
    };

    [Fact]
    public async Task While_the_database_is_away_a_fail_closed_class_answers_503_and_a_fail_open_class_runs_and_is_recorded_once_when_it_is_back()
    {
        var tenant = await _stack.NewTenantAsync("free");
        await using var backEnd = await SampleBackEnd.StartAsync(_stack, tenant, SummariesFailOpen);
        Assert.Equal(HttpStatusCode.OK, (await backEnd.PostAsync("/summaries", "ana")).StatusCode); // before: 1 recorded

        _database.Cut();
        HttpResponseMessage research, summary, retried, other;
        try
        {
            research = await backEnd.PostAsync("/research", "ana");
            summary = await backEnd.PostAsync("/summaries", "ana");
            retried = await backEnd.PostAsync("/summaries", "ana");
            other = await backEnd.PostAsync("/summaries", "ana");
        }
        finally
        {
            _database.Restore();
        }
        var researchProblem = JsonNode.Parse(await research.Content.ReadAsStringAsync())!;
        var replayed = await Eventually.Until(() => Task.FromResult(backEnd.Quota.Journal.Count), left => left == 0, "the journal to be replayed");
        var usage = await backEnd.Quota.UsageAsync("ana");

        Assert.Equal((HttpStatusCode.ServiceUnavailable, "application/problem+json"), (research.StatusCode, research.Content.Headers.ContentType!.MediaType));
        Assert.Equal(("unavailable", "https://docs.tenantquota.dev/problems/quota-service-unavailable"), ((string)researchProblem["reason"]!, (string)researchProblem["type"]!));
        Assert.NotNull(research.Headers.RetryAfter);
        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK), (summary.StatusCode, retried.StatusCode, other.StatusCode));
        Assert.Equal((4, 0), backEnd.HandlerRuns);
        Assert.Equal(0, replayed);
        Assert.Equal(4L, usage.Classes.Single(c => c.OperationClass == "summaries").Used); // before + the three during, each once
        Assert.Equal(0L, usage.Classes.Single(c => c.OperationClass == "deep_research").Used);
    }

    [Fact]
    public async Task The_circuit_opens_after_repeated_failures_sends_nothing_while_open_and_a_probe_closes_it_when_the_database_is_back()
    {
        var tenant = await _stack.NewTenantAsync("free");
        var clock = new SettableClock();
        var network = new FlakyNetwork(0, FlakyNetwork.Unavailable); // only counts: the outage is the real one
        var client = Clients.Over(Clients.OptionsFor(_stack, tenant) with { BreakAfterFailures = 3, BreakDuration = TimeSpan.FromSeconds(30) }, network, clock);
        await client.CheckAsync(new QuotaRequest("ana", "summaries")); // a token in the cache

        _database.Cut();
        QuotaDecision[] failing, whileOpen;
        int sentWhileFailing, sentWhileOpen;
        try
        {
            failing = [await client.CheckAsync(new QuotaRequest("ana", "summaries")), await client.CheckAsync(new QuotaRequest("ana", "summaries")),
                await client.CheckAsync(new QuotaRequest("ana", "summaries"))];
            sentWhileFailing = network.Bodies.Count - 1;
            whileOpen = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => client.CheckAsync(new QuotaRequest("ana", "summaries"))));
            sentWhileOpen = network.Bodies.Count - 1 - sentWhileFailing;
        }
        finally
        {
            _database.Restore();
        }
        clock.Advance(TimeSpan.FromSeconds(30));
        var probe = await client.CheckAsync(new QuotaRequest("ana", "summaries"));

        Assert.All(failing.Concat(whileOpen), d => Assert.Equal((false, true), (d.Allowed, d.Offline)));
        Assert.Equal(3, sentWhileFailing); // Retry-After 5 s is past MaxRetryDelay: one try each
        Assert.Equal(0, sentWhileOpen);
        Assert.Equal((true, false), (probe.Allowed, probe.Offline));
        Assert.Equal(CircuitState.Closed, client.Breaker.State);
    }
}
