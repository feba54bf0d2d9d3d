using Microsoft.Extensions.DependencyInjection;
using TenantQuota.Api.Entitlements;
using TenantQuota.Testing;

namespace TenantQuota.Api.Tests;

/// <summary>Reserve, commit, release and expiry against the real database: holds count as used, settle exactly once.</summary>
public sealed class ReservationsTests(ApiHostFixture fixture) : IClassFixture<ApiHostFixture>
{
    private readonly ApiHost _host = fixture.Host;

    private async Task<HttpClient> BackendAsync(string tier = "free", ApiHost? host = null) =>
        (host ?? _host).Client(TestTokens.For(await _host.CreateTenantAsync(tier), "quota.check", "quota.consume"));

    private static object Reserve(string key, long quantity, string operationClass = "summaries", int? ttlSeconds = null) =>
        new { subjectId = "ana", operationClass, quantity, idempotencyKey = key, ttlSeconds };

    private static object Check(long quantity = 1, string operationClass = "summaries") => new { subjectId = "ana", operationClass, quantity };

    [Fact]
    public async Task A_hold_counts_as_used_for_everyone_else_until_the_commit_records_the_actual_and_frees_the_rest()
    {
        var backend = await BackendAsync();

        var reserved = await backend.ReserveAsync(Reserve("r1", 6));
        var whileHeld = await backend.CheckAsync(Check(5));
        var committed = await backend.CommitAsync((string)reserved.Json["reservationId"]!, new { quantity = 2 });
        var after = await backend.CheckAsync(Check(8));

        Assert.Equal((true, "held", 6L, 4L), (reserved.Allowed, (string?)reserved.Json["status"], reserved.Used, (long)reserved.Json["remaining"]!));
        // The default 300 s, on the host's clock (it stands still unless a test moves it, so the wall clock would drift from it).
        Assert.Equal(_host.Clock.GetUtcNow().AddSeconds(300).UtcDateTime, DateTime.Parse((string)reserved.Json["expiresAt"]!).ToUniversalTime(), TimeSpan.FromSeconds(1));
        Assert.Equal(("deny", 6L), (whileHeld.Decision, whileHeld.Used));                // 6 held + 5 would pass 10
        Assert.Equal((true, true, 2L, "committed"), (committed.Allowed, (bool)committed.Json["recorded"]!, committed.Used, (string?)committed.Json["status"]));
        Assert.Equal(("warn", 10L), (after.Decision, after.Used));                        // only the 2 committed remain
    }

    [Fact]
    public async Task Reserves_and_consumes_arriving_together_under_one_key_each_happen_once()
    {
        // Charges that arrive together are written in one transaction (GroupedCharges); a reserve's key and a consume's
        // are apart, as they are one by one: each happens once, every repeat answers the first, and holds are not used.
        var tenant = await _host.CreateTenantAsync("team");
        var backend = _host.Client(TestTokens.For(tenant, "quota.check", "quota.consume"));
        var answers = await Task.WhenAll(Enumerable.Range(0, 60).Select(i => i % 2 == 0
            ? backend.ReserveAsync(Reserve("same-key", 3))
            : backend.ConsumeAsync(new { subjectId = "ana", operationClass = "summaries", quantity = 2, idempotencyKey = "same-key" })));

        var reserves = answers.Where((_, i) => i % 2 == 0).ToList();
        var consumes = answers.Where((_, i) => i % 2 == 1).ToList();
        Assert.Single(reserves.Select(a => (string)a.Json["reservationId"]!).Distinct());
        Assert.Single(reserves, a => !(bool)a.Json["duplicate"]!);
        Assert.Single(consumes, a => !(bool)a.Json["duplicate"]!);
        Assert.All(answers, a => Assert.Equal((200, true), (a.Status, a.Allowed)));
        Assert.Equal("2/3", await ApiHost.Database.Scalar<string>(
            "SELECT used || '/' || reserved FROM quota_counters WHERE tenant_id = $1 AND level = 'subject' AND owner_id = 'ana'", tenant));
    }

    [Fact]
    public async Task Committing_more_than_the_estimate_passes_the_hard_limit_and_an_overage_cell_bills_the_excess()
    {
        var blocked = await BackendAsync("free");
        var billed = await BackendAsync("pro");
        await billed.ConsumeAsync(new { subjectId = "ana", operationClass = "deep_research", quantity = 49, idempotencyKey = "before" });

        var overBlock = await blocked.CommitAsync((string)(await blocked.ReserveAsync(Reserve("b", 9))).Json["reservationId"]!, new { quantity = 13 });
        var overBilled = await billed.CommitAsync((string)(await billed.ReserveAsync(Reserve("o", 1, "deep_research"))).Json["reservationId"]!, new { quantity = 4 });

        Assert.Equal(("warn", 13L, "hard_limit", 0L), (overBlock.Decision, overBlock.Used, (string?)overBlock.Json["state"], (long)overBlock.Json["billableQuantity"]!));
        Assert.Equal(("overage", 53L, 3L), (overBilled.Decision, overBilled.Used, (long)overBilled.Json["billableQuantity"]!));
        Assert.Equal(3L, await ApiHost.Database.Scalar<long>(
            "SELECT o.quantity FROM billing_outbox o JOIN usage_records u ON u.id = o.usage_record_id WHERE u.reservation_id = $1",
            (string)overBilled.Json["reservationId"]!));
    }

    [Fact]
    public async Task Commit_and_release_are_idempotent_and_each_refuses_what_the_other_settled()
    {
        var backend = await BackendAsync();
        var committedId = (string)(await backend.ReserveAsync(Reserve("c", 3))).Json["reservationId"]!;
        var releasedId = (string)(await backend.ReserveAsync(Reserve("r", 3))).Json["reservationId"]!;

        var first = await backend.CommitAsync(committedId, new { quantity = 2 });
        var again = await backend.CommitAsync(committedId, new { quantity = 2 });
        var otherAmount = await backend.CommitAsync(committedId, new { quantity = 3 });
        var releaseCommitted = await backend.ReleaseAsync(committedId);
        var released = await backend.ReleaseAsync(releasedId);
        var releasedAgain = await backend.ReleaseAsync(releasedId);
        var commitReleased = await backend.CommitAsync(releasedId, new { quantity = 1 });
        var usage = await backend.CheckAsync(Check());

        Assert.Equal((false, true, 5L), ((bool)first.Json["duplicate"]!, (bool)again.Json["duplicate"]!, again.Used)); // 2 + the other's 3 held
        Assert.Equal((409, "https://docs.tenantquota.dev/problems/reservation-committed"), (otherAmount.Status, (string?)otherAmount.Json["type"]));
        Assert.Equal(409, releaseCommitted.Status);
        Assert.Equal(("released", false, true), ((string?)released.Json["status"], (bool)released.Json["duplicate"]!, (bool)releasedAgain.Json["duplicate"]!));
        Assert.Equal((409, "https://docs.tenantquota.dev/problems/reservation-released"), (commitReleased.Status, (string?)commitReleased.Json["type"]));
        Assert.Equal(3L, usage.Used); // 2 committed, the released 3 freed, plus the 1 asked
    }

    [Fact]
    public async Task Committing_an_expired_reservation_is_a_409_of_its_own_and_records_nothing()
    {
        var backend = await BackendAsync();
        var id = (string)(await backend.ReserveAsync(Reserve("e", 4, ttlSeconds: 1))).Json["reservationId"]!;

        _host.Clock.Advance(TimeSpan.FromSeconds(2));
        var commit = await backend.CommitAsync(id, new { quantity = 4 });
        var release = await backend.ReleaseAsync(id);
        var usage = await backend.CheckAsync(Check());

        Assert.Equal((409, "https://docs.tenantquota.dev/problems/reservation-expired"), (commit.Status, (string?)commit.Json["type"]));
        Assert.Equal((200, "expired"), (release.Status, (string?)release.Json["status"]));
        Assert.Equal(1L, usage.Used);
    }

    [Fact]
    public async Task An_expired_hold_is_freed_by_the_sweep_with_no_request_about_it()
    {
        using var sweeping = new ApiHost(new Dictionary<string, string?> { ["Quota:ReservationSweepSeconds"] = "0.1" });
        var backend = await BackendAsync(host: sweeping);
        await backend.ReserveAsync(Reserve("s", 7, ttlSeconds: 1));
        Assert.Equal(8L, (await backend.CheckAsync(Check())).Used);

        sweeping.Clock.Advance(TimeSpan.FromSeconds(2));

        var freed = await Eventually.Until(() => backend.CheckAsync(Check()), a => a.Used == 1, "the sweep to free the expired hold");
        Assert.Equal("allow", freed.Decision);
    }

    [Fact]
    public async Task A_replayed_reserve_answers_the_same_reservation_and_holds_nothing_more()
    {
        var backend = await BackendAsync();

        var first = await backend.ReserveAsync(Reserve("k", 4));
        var replay = await backend.ReserveAsync(Reserve("k", 4));
        var conflict = await backend.ReserveAsync(Reserve("k", 5));

        Assert.Equal(((string?)first.Json["reservationId"], true), ((string?)replay.Json["reservationId"], (bool)replay.Json["duplicate"]!));
        Assert.Equal(409, conflict.Status);
        Assert.Equal(5L, (await backend.CheckAsync(Check())).Used);
    }

    [Fact]
    public async Task A_denied_reserve_holds_nothing_and_has_no_reservation()
    {
        var backend = await BackendAsync();

        var denied = await backend.ReserveAsync(Reserve("d", 11));

        Assert.Equal((false, "deny", null), (denied.Allowed, denied.Decision, (string?)denied.Json["reservationId"]));
        Assert.Equal(1L, (await backend.CheckAsync(Check())).Used);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(86401)]
    public async Task A_time_to_live_outside_a_second_to_a_day_is_a_400(int ttlSeconds)
    {
        var backend = await BackendAsync();

        var answer = await backend.ReserveAsync(Reserve("t", 1, ttlSeconds: ttlSeconds));

        Assert.Equal(400, answer.Status);
        Assert.NotNull(answer.Json["errors"]!["ttlSeconds"]);
    }

    [Theory]
    [InlineData("res_00000000000000000000000000000000")]
    [InlineData("not-a-reservation")]
    public async Task An_unknown_reservation_is_a_404(string id)
    {
        var backend = await BackendAsync();

        Assert.Equal(404, (await backend.CommitAsync(id, new { quantity = 1 })).Status);
        Assert.Equal(404, (await backend.ReleaseAsync(id)).Status);
    }

    [Fact]
    public async Task Another_tenants_reservation_is_a_404_and_stays_held()
    {
        var owner = await BackendAsync();
        var stranger = await BackendAsync();
        var id = (string)(await owner.ReserveAsync(Reserve("x", 5))).Json["reservationId"]!;

        var commit = await stranger.CommitAsync(id, new { quantity = 1 });
        var release = await stranger.ReleaseAsync(id);

        Assert.Equal((404, 404), (commit.Status, release.Status));
        Assert.Equal(6L, (await owner.CheckAsync(Check())).Used);
    }

    [Fact]
    public async Task The_sweep_frees_holds_in_batches_and_answers_how_many()
    {
        var backend = await BackendAsync();
        for (var i = 0; i < 3; i++) await backend.ReserveAsync(Reserve($"b{i}", 1, ttlSeconds: 1));
        _host.Clock.Advance(TimeSpan.FromSeconds(2));

        var freed = await _host.Services.GetRequiredService<ReservationSweeper>().SweepAsync(CancellationToken.None);

        Assert.True(freed >= 3, $"freed {freed}");
        Assert.Equal(1L, (await backend.CheckAsync(Check())).Used);
    }
}
