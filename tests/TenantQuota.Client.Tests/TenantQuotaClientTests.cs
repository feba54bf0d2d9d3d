using TenantQuota.Client;
using TenantQuota.Testing;

namespace TenantQuota.Client.Tests;

/// <summary>
/// The caller SDK against the real identity host and API: typed calls through the whole contract a back end uses,
/// and tokens fetched once, shared by concurrent callers, and replaced shortly before they expire.
/// </summary>
public sealed class TenantQuotaClientTests(StackFixture fixture) : IClassFixture<StackFixture>
{
    private readonly DashboardStack _stack = fixture.Stack;

    private async Task<(TenantQuotaClient Client, AccessTokens Tokens, SettableClock Clock)> ClientAsync(HttpMessageHandler? network = null,
        Func<TenantQuotaClientOptions, TenantQuotaClientOptions>? adjust = null)
    {
        // Holds and view tokens are made on the API's clock, which stood still since the class started; another test
        // host sweeping expired holds at the real time must not find these expired.
        _stack.Api.Clock.Set(DateTimeOffset.UtcNow);
        var tenant = await _stack.NewTenantAsync("enterprise");
        var clock = new SettableClock();
        var options = Clients.OptionsFor(_stack, tenant);
        options = adjust?.Invoke(options) ?? options;
        var http = new HttpClient(network ?? new HttpClientHandler()) { BaseAddress = options.BaseAddress };
        var tokens = new AccessTokens(http, options, clock);
        return (new TenantQuotaClient(http, tokens, options, clock), tokens, clock);
    }

    private static TenantQuotaClientOptions SummariesFailOpen(TenantQuotaClientOptions options) =>
        options with { FailureModes = new Dictionary<string, FailureMode> { ["summaries"] = FailureMode.Open } };

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

    [Fact]
    public async Task A_consume_answered_503_twice_is_tried_again_with_the_same_key_and_recorded_once()
    {
        var network = new FlakyNetwork(2, FlakyNetwork.Unavailable);
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

    [Fact]
    public async Task A_consume_whose_answers_were_all_lost_is_journaled_and_replayed_as_a_duplicate_so_it_counts_once()
    {
        // Every try reaches the API and records (the first) or replays; only the answers are lost on the way back.
        var network = new FlakyNetwork(4, FlakyNetwork.Reset, deliverFirst: true);
        var (client, _, _) = await ClientAsync(network, SummariesFailOpen);

        var offline = await client.ConsumeAsync(new QuotaRequest("ana", "summaries"));
        var replay = await client.ReplayJournalAsync();
        var usage = await client.UsageAsync("ana");

        Assert.Equal((true, true, false, "unavailable"), (offline.Allowed, offline.Offline, offline.Recorded, offline.Reason));
        Assert.Equal(new JournalReplay(Recorded: 0, AlreadyRecorded: 1, Refused: 0, Rejected: 0, Expired: 0, Left: 0), replay);
        Assert.Equal(1L, usage.Classes.Single(c => c.OperationClass == "summaries").Used);
        Assert.Single(network.Bodies.Take(5).Distinct()); // four tries and the replay: one body, one key
    }

    [Fact]
    public async Task A_fail_open_class_denies_once_the_subjects_share_of_the_journal_is_used_and_a_fail_closed_class_always_denies()
    {
        var network = new FlakyNetwork(int.MaxValue, FlakyNetwork.Unavailable);
        var (client, _, _) = await ClientAsync(network, o => SummariesFailOpen(o) with { JournalCapacityPerSubject = 2, MaxAttempts = 1, BreakAfterFailures = 100 });

        var ana = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => client.ConsumeAsync(new QuotaRequest("ana", "summaries"))));
        var ben = await client.ConsumeAsync(new QuotaRequest("ben", "summaries"));
        var closed = await client.ConsumeAsync(new QuotaRequest("ben", "drafts"));
        var closedCheck = await client.CheckAsync(new QuotaRequest("ben", "drafts"));
        var openCheck = await client.CheckAsync(new QuotaRequest("ben", "summaries"));

        Assert.Equal(2, ana.Count(a => a.Allowed));
        Assert.All(ana.Concat([ben, closed, closedCheck, openCheck]), a => Assert.True(a.Offline));
        Assert.Equal((true, false, false, true), (ben.Allowed, closed.Allowed, closedCheck.Allowed, openCheck.Allowed));
        Assert.Equal("error", closed.Message!.Severity);
        Assert.Equal(3, client.Journal.Count); // two of ana's, ben's; never the checks or the denials
    }

    [Fact]
    public async Task A_journaled_consume_older_than_the_maximum_age_is_dropped_unsent()
    {
        var network = new FlakyNetwork(1, FlakyNetwork.Reset);
        var (client, _, clock) = await ClientAsync(network, o => SummariesFailOpen(o) with { MaxAttempts = 1 });
        await client.ConsumeAsync(new QuotaRequest("ana", "summaries"));

        clock.Advance(TimeSpan.FromHours(24) + TimeSpan.FromSeconds(1));
        var replay = await client.ReplayJournalAsync();

        Assert.Equal(new JournalReplay(0, 0, 0, 0, Expired: 1, Left: 0), replay);
        Assert.Single(network.Bodies); // only the failed try: the replay sent nothing
        Assert.Equal(0L, (await client.UsageAsync("ana")).Classes.Single(c => c.OperationClass == "summaries").Used);
    }

    [Fact]
    public async Task A_replay_refused_401_keeps_the_journal_and_asks_for_a_new_token_and_a_later_pass_records_it()
    {
        var calls = 0;
        // The consume's try is lost; the first replay meets 401 twice (with the cached token, then with a new one).
        var network = new FlakyNetwork(3, () => ++calls == 1
            ? throw new HttpRequestException("connection reset")
            : new HttpResponseMessage(System.Net.HttpStatusCode.Unauthorized));
        var (client, tokens, _) = await ClientAsync(network, o => SummariesFailOpen(o) with { MaxAttempts = 1 });
        await client.ConsumeAsync(new QuotaRequest("ana", "summaries"));
        var tokensBefore = tokens.Issued;

        var refused = await client.ReplayJournalAsync();
        var later = await client.ReplayJournalAsync();

        Assert.Equal(new JournalReplay(0, 0, 0, Rejected: 0, 0, Left: 1), refused);
        Assert.Equal(tokensBefore + 1, tokens.Issued);
        Assert.Equal(new JournalReplay(Recorded: 1, 0, 0, 0, 0, Left: 0), later);
        Assert.Equal(1L, (await client.UsageAsync("ana")).Classes.Single(c => c.OperationClass == "summaries").Used);
    }

    [Fact]
    public async Task A_fail_open_reservation_made_while_unreachable_is_committed_into_the_journal_and_recorded_once_with_the_actual_amount()
    {
        var network = new FlakyNetwork(int.MaxValue, FlakyNetwork.Unavailable);
        var (client, _, _) = await ClientAsync(network, o => SummariesFailOpen(o) with { MaxAttempts = 1, BreakAfterFailures = 100 });

        var held = await client.ReserveAsync(new QuotaRequest("ana", "summaries", Quantity: 5));
        var closed = await client.ReserveAsync(new QuotaRequest("ana", "drafts", Quantity: 5));
        var sentBeforeCommit = network.Bodies.Count;
        var committed = await client.CommitAsync(held.ReservationId!, new CommitRequest(Quantity: 3));
        var again = await Assert.ThrowsAsync<TenantQuotaException>(() => client.CommitAsync(held.ReservationId!, new CommitRequest(Quantity: 3)));
        var sentByCommits = network.Bodies.Count - sentBeforeCommit;
        network.FailuresLeft = 0; // TenantQuota is back
        var replay = await client.ReplayJournalAsync();
        var usage = await client.UsageAsync("ana");

        Assert.Equal((true, true, "held"), (held.Allowed, held.Offline, held.Status));
        Assert.StartsWith("offline:", held.ReservationId);
        Assert.Equal((false, true, null), (closed.Allowed, closed.Offline, closed.ReservationId));
        Assert.Equal((true, "committed", 0), (committed.Allowed, committed.Status, sentByCommits)); // an offline commit sends nothing
        Assert.Equal(404, again.Status);
        Assert.Equal(new JournalReplay(Recorded: 1, 0, 0, 0, 0, Left: 0), replay);
        Assert.Equal(3L, usage.Classes.Single(c => c.OperationClass == "summaries").Used); // the actual amount, once
    }

    [Fact]
    public async Task An_offline_reservation_released_records_nothing_and_gives_its_share_back()
    {
        var network = new FlakyNetwork(int.MaxValue, FlakyNetwork.Unavailable);
        var (client, _, _) = await ClientAsync(network, o => SummariesFailOpen(o) with { MaxAttempts = 1, BreakAfterFailures = 100, JournalCapacityPerSubject = 1 });

        var first = await client.ReserveAsync(new QuotaRequest("ana", "summaries"));
        var whileHeld = await client.ReserveAsync(new QuotaRequest("ana", "summaries"));
        var released = await client.ReleaseAsync(first.ReservationId!);
        var afterRelease = await client.ReserveAsync(new QuotaRequest("ana", "summaries"));

        Assert.Equal((true, false, true), (first.Allowed, whileHeld.Allowed, afterRelease.Allowed));
        Assert.Equal("released", released.GetProperty("status").GetString());
        Assert.Equal(0, client.Journal.Count); // holds are not replayed
    }

    [Fact]
    public async Task An_offline_hold_of_a_class_counted_in_tokens_committed_with_tokens_only_records_their_total()
    {
        var network = new FlakyNetwork(int.MaxValue, FlakyNetwork.Unavailable);
        var (client, _, _) = await ClientAsync(network, o => o with
        {
            FailureModes = new Dictionary<string, FailureMode> { ["chat"] = FailureMode.Open }, MaxAttempts = 1, BreakAfterFailures = 100,
        });

        var held = await client.ReserveAsync(new QuotaRequest("ana", "chat", Model: "gpt-small", Tokens: new TokenCounts(100, 50)));
        await client.CommitAsync(held.ReservationId!, new CommitRequest(Tokens: new TokenCounts(300, 200)));
        network.FailuresLeft = 0;
        var replay = await client.ReplayJournalAsync();

        Assert.Equal(new JournalReplay(Recorded: 1, 0, 0, 0, 0, 0), replay);
        Assert.Equal(500L, (await client.UsageAsync("ana")).Classes.Single(c => c.OperationClass == "chat").Used);
    }

    [Fact]
    public async Task A_probe_that_TenantQuota_answers_even_with_a_4xx_closes_the_circuit()
    {
        var network = new FlakyNetwork(1, FlakyNetwork.Unavailable);
        var (client, _, clock) = await ClientAsync(network, o => o with { MaxAttempts = 1, BreakAfterFailures = 1, BreakDuration = TimeSpan.FromSeconds(30) });
        await client.CheckAsync(new QuotaRequest("ana", "summaries")); // 503: the circuit opens
        var opened = client.Breaker.State;

        clock.Advance(TimeSpan.FromSeconds(30));
        var probe = await Assert.ThrowsAsync<TenantQuotaException>(() => client.CheckAsync(new QuotaRequest("ana", "poetry")));

        Assert.Equal((CircuitState.Open, 400, CircuitState.Closed), (opened, probe.Status, client.Breaker.State));
    }
}
