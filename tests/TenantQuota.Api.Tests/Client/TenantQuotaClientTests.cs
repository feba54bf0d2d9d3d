using TenantQuota.Api.Tests.Dashboard;
using TenantQuota.Client;
using TenantQuota.Testing;

namespace TenantQuota.Api.Tests.Client;

/// <summary>
/// The caller SDK against the real identity host and API: typed calls through the whole contract a back end uses,
/// and tokens fetched once, shared by concurrent callers, and replaced shortly before they expire.
/// </summary>
public sealed class TenantQuotaClientTests(DashboardStackFixture fixture) : IClassFixture<DashboardStackFixture>
{
    private readonly DashboardStack _stack = fixture.Stack;

    private async Task<(TenantQuotaClient Client, AccessTokens Tokens, SettableClock Clock)> ClientAsync(HttpMessageHandler? network = null)
    {
        var tenant = await _stack.NewTenantAsync("enterprise");
        var clock = new SettableClock();
        var options = new TenantQuotaClientOptions
        {
            BaseAddress = _stack.Api.Address, Issuer = new Uri(_stack.Identity.Issuer + "/"), ClientId = tenant.ClientId, ClientSecret = tenant.ClientSecret,
            RetryBaseDelay = TimeSpan.FromMilliseconds(5),
        };
        var http = new HttpClient(network ?? new HttpClientHandler()) { BaseAddress = options.BaseAddress };
        var tokens = new AccessTokens(http, options, clock);
        return (new TenantQuotaClient(http, tokens, options), tokens, clock);
    }

    [Fact]
    public async Task A_back_end_checks_consumes_reserves_commits_reads_usage_and_mints_a_view_token_with_typed_answers()
    {
        var (client, _, _) = await ClientAsync();
        var request = new QuotaRequest("ana", "summaries", IdempotencyKey: "sdk-1");

        var check = await client.CheckAsync(request);
        var consumed = await client.ConsumeAsync(request);
        var replayed = await client.ConsumeAsync(request);
        var keyless = await client.ConsumeAsync(new QuotaRequest("ana", "summaries"));
        var reserved = await client.ReserveAsync(new QuotaRequest("ana", "deep_research", Quantity: 3));
        var committed = await client.CommitAsync(reserved.ReservationId!, new CommitRequest(Quantity: 2));
        var usage = await client.UsageAsync("ana");
        var view = await client.CreateViewTokenAsync("ana");

        Assert.Equal((true, false, 1L), (check.Allowed, check.Recorded, check.Used)); // what the window would count after it
        Assert.Equal((true, true, false, 1L), (consumed.Allowed, consumed.Recorded, consumed.Duplicate, consumed.Used));
        Assert.Equal((true, 1L), (replayed.Duplicate, replayed.Used));
        Assert.Equal(2L, keyless.Used); // a key of its own: recorded, not a replay
        Assert.Equal(("held", 3L), (reserved.Status, reserved.Used));
        Assert.Equal(2L, committed.Used);
        Assert.Equal(2L, usage.Classes.Single(c => c.OperationClass == "summaries").Used);
        Assert.Equal(2L, usage.Classes.Single(c => c.OperationClass == "deep_research").Used);
        Assert.False(string.IsNullOrEmpty(view.Token));
        Assert.True(view.ExpiresAt > DateTime.UtcNow);
    }

    [Fact]
    public async Task A_bad_request_is_an_exception_carrying_the_status_and_a_denial_is_an_answer()
    {
        var (client, _, _) = await ClientAsync();

        var refused = await Assert.ThrowsAsync<TenantQuotaException>(() => client.ConsumeAsync(new QuotaRequest("ana", "poetry")));

        Assert.Equal(400, refused.Status);
        Assert.Contains("poetry", refused.Message);
    }

    /// <summary>
    /// The network between the client and the real API: answers the first <paramref name="failures"/> calls to the API
    /// itself (not the issuer) with what <paramref name="fail"/> makes, and records every consume body it saw.
    /// </summary>
    private sealed class FlakyNetwork(int failures, Func<HttpResponseMessage> fail) : DelegatingHandler(new HttpClientHandler())
    {
        private int _left = failures;
        public List<string> Bodies { get; } = [];

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (request.RequestUri!.AbsolutePath.StartsWith("/v1/", StringComparison.Ordinal))
            {
                Bodies.Add(request.Content is null ? "" : await request.Content.ReadAsStringAsync(cancellationToken));
                if (Interlocked.Decrement(ref _left) >= 0) return fail();
            }
            return await base.SendAsync(request, cancellationToken);
        }
    }

    private static HttpResponseMessage Unavailable() =>
        new(System.Net.HttpStatusCode.ServiceUnavailable) { Headers = { RetryAfter = new System.Net.Http.Headers.RetryConditionHeaderValue(TimeSpan.FromMilliseconds(1)) } };

    [Fact]
    public async Task A_consume_answered_503_twice_is_tried_again_with_the_same_key_and_recorded_once()
    {
        var network = new FlakyNetwork(2, Unavailable);
        var (client, _, _) = await ClientAsync(network);

        var answer = await client.ConsumeAsync(new QuotaRequest("ana", "summaries"));

        Assert.Equal((true, true, 1L), (answer.Allowed, answer.Recorded, answer.Used));
        Assert.Equal(3, network.Bodies.Count);
        Assert.Single(network.Bodies.Distinct()); // one body, one idempotency key, on every try
    }

    [Fact]
    public async Task A_network_error_is_tried_again_and_a_refusal_never()
    {
        var broken = new FlakyNetwork(1, () => throw new HttpRequestException("connection reset"));
        var refusing = new FlakyNetwork(5, () => new HttpResponseMessage(System.Net.HttpStatusCode.Forbidden));
        var (afterReset, _, _) = await ClientAsync(broken);
        var (refused, _, _) = await ClientAsync(refusing);

        var answer = await afterReset.CheckAsync(new QuotaRequest("ana", "summaries"));
        var error = await Assert.ThrowsAsync<TenantQuotaException>(() => refused.CheckAsync(new QuotaRequest("ana", "summaries")));

        Assert.True(answer.Allowed);
        Assert.Equal(2, broken.Bodies.Count);
        Assert.Equal((403, 1), (error.Status, refusing.Bodies.Count));
    }

    [Fact]
    public async Task Concurrent_calls_share_one_token_which_is_replaced_shortly_before_it_expires()
    {
        var (client, tokens, clock) = await ClientAsync();

        var answers = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => client.CheckAsync(new QuotaRequest($"person-{i}", "summaries"))));
        var afterBurst = tokens.Issued;
        clock.Advance(TimeSpan.FromMinutes(4)); // the issuer's tokens live 5 minutes; 4:00 is before 5:00 − 30 s
        await client.CheckAsync(new QuotaRequest("ana", "summaries"));
        var stillCached = tokens.Issued;
        clock.Advance(TimeSpan.FromSeconds(31)); // past 4:30: replaced
        await client.CheckAsync(new QuotaRequest("ana", "summaries"));

        Assert.All(answers, a => Assert.True(a.Allowed));
        Assert.Equal((1, 1, 2), (afterBurst, stillCached, tokens.Issued));
    }
}
