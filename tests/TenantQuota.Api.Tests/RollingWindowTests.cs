using TenantQuota.Testing;

namespace TenantQuota.Api.Tests;

/// <summary>
/// Rolling windows and burst allowances against the real database. free/chat: 25,000 tokens per rolling 5 hours
/// (5-minute buckets), soft 20,000, block, burst 5,000 once per fixed 5-hour period.
/// </summary>
public sealed class RollingWindowTests(ApiHostFixture fixture) : IClassFixture<ApiHostFixture>
{
    private readonly ApiHost _host = fixture.Host;

    private async Task<HttpClient> BackendAsync(string tier = "free") =>
        _host.Client(TestTokens.For(await _host.CreateTenantAsync(tier), "quota.check", "quota.consume"));

    private static object Chat(long input, long output, string subject = "ana") =>
        new { subjectId = subject, operationClass = "chat", idempotencyKey = Guid.NewGuid().ToString("N"), tokens = new { input, output } };

    [Fact]
    public async Task Usage_leaves_a_rolling_window_bit_by_bit_never_early()
    {
        _host.Clock.Set("2026-12-10T10:02:00Z");
        var backend = await BackendAsync();
        Assert.True((await backend.ConsumeAsync(Chat(15_000, 5_000))).Allowed);  // 20,000 in the 10:00 bucket
        _host.Clock.Set("2026-12-10T12:00:00Z");
        Assert.True((await backend.ConsumeAsync(Chat(4_000, 1_000))).Allowed);   // 25,000: full

        _host.Clock.Set("2026-12-10T15:04:59Z");                                  // 10:00 + 5 h, still in the 15:00 bucket's window
        var stillFull = await backend.CheckAsync(new { subjectId = "ana", operationClass = "chat", quantity = 1 });
        _host.Clock.Set("2026-12-10T15:05:00Z");                                  // the 10:00 bucket has left
        var freed = await backend.CheckAsync(new { subjectId = "ana", operationClass = "chat", quantity = 1 });

        Assert.Equal(25_001L, stillFull.Used);                                    // the 20,000 of 10:02 still count …
        Assert.Equal((5_001L, "ok"), (freed.Used, (string?)freed.Json["state"])); // … until their bucket has left
        Assert.Equal("2026-12-10T20:10:00Z", (string?)freed.Json["resetsAt"]); // everything counted now has left by then
    }

    [Fact]
    public async Task A_hold_counts_until_it_is_settled_even_once_its_bucket_has_left_the_window()
    {
        // Days ahead of the real time: other tests' hosts sweep expired holds of the whole database by the real clock,
        // so a hold made on a fixed date would expire under this test once that date had passed.
        var day = new DateTimeOffset(DateTime.UtcNow.Date.AddDays(2), TimeSpan.Zero);
        _host.Clock.Set(day.AddHours(10));
        var backend = await BackendAsync();
        var held = await backend.ReserveAsync(new { subjectId = "ana", operationClass = "chat", quantity = 25_000, idempotencyKey = "long", ttlSeconds = 86_400 });

        _host.Clock.Set(day.AddHours(15).AddMinutes(10));                         // the 10:00 bucket has left the 5-hour window …
        var whileHeld = await backend.CheckAsync(new { subjectId = "ana", operationClass = "chat", quantity = 6_000 });
        await backend.ReleaseAsync((string)held.Json["reservationId"]!);
        var released = await backend.CheckAsync(new { subjectId = "ana", operationClass = "chat", quantity = 6_000 });

        Assert.Equal((false, 25_000L), (whileHeld.Allowed, whileHeld.Used));       // … but the hold still counts: 31,000 > 25,000 + 5,000
        Assert.Equal((true, 6_000L), (released.Allowed, released.Used));
    }

    [Fact]
    public async Task A_burst_goes_past_the_hard_limit_once_per_period_and_says_so()
    {
        _host.Clock.Set("2026-12-11T10:00:00Z");
        var backend = await BackendAsync();
        await backend.ConsumeAsync(Chat(20_000, 4_000));                          // 24,000 of 25,000

        var burst = await backend.ConsumeAsync(Chat(3_000, 0));                   // 27,000: 2,000 from the burst
        var rest = await backend.ConsumeAsync(Chat(3_000, 0));                    // 30,000: the burst's last 3,000
        var beyond = await backend.ConsumeAsync(Chat(1, 0));

        Assert.Equal((true, "warn", 27_000L, 2_000L, 3_000L), (burst.Allowed, burst.Decision, burst.Used,
            (long)burst.Json["burst"]!["fromThisRequest"]!, (long)burst.Json["burst"]!["remaining"]!));
        Assert.Equal((true, 0L), (rest.Allowed, (long)rest.Json["burst"]!["remaining"]!));
        Assert.Equal((false, "limit"), (beyond.Allowed, (string?)beyond.Json["reason"]));

        _host.Clock.Set("2026-12-11T15:30:00Z");                                  // the 10:00 usage has left the window, and …
        var later = await backend.ConsumeAsync(Chat(26_000, 0));                  // … a new 5-hour burst period (13:00–18:00 UTC from the epoch) has begun
        Assert.Equal((true, 1_000L), (later.Allowed, (long)later.Json["burst"]!["fromThisRequest"]!));
    }

    [Fact]
    public async Task Concurrent_consumes_on_a_rolling_window_across_two_hosts_never_pass_limit_and_burst()
    {
        using var other = new ApiHost();
        _host.Clock.Set("2026-12-12T10:00:00Z");
        other.Clock.Set("2026-12-12T10:05:00Z");                                  // the other process's clock is a bucket ahead
        var tenant = await _host.CreateTenantAsync("free");
        var token = TestTokens.For(tenant, "quota.consume");
        HttpClient[] clients = [_host.Client(token), other.Client(token)];

        var answers = await Task.WhenAll(Enumerable.Range(0, 120).Select(i =>
            clients[i % 2].ConsumeAsync(new { subjectId = "hot", operationClass = "chat", quantity = 300L, idempotencyKey = $"r-{i}" })));

        var granted = answers.Count(a => a.Allowed) * 300L;
        Assert.Equal(30_000L, granted);                                          // 25,000 + the 5,000 burst, exactly
        Assert.Equal(granted, await ApiHost.Database.Scalar<long>(
            "SELECT sum(used)::bigint FROM quota_counters WHERE tenant_id = $1 AND metric = 'chat'", tenant));
    }
}
