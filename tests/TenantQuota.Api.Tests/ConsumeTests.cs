using TenantQuota.Testing;

namespace TenantQuota.Api.Tests;

public sealed class ConsumeTests(ApiHostFixture fixture) : IClassFixture<ApiHostFixture>
{
    private readonly ApiHost _host = fixture.Host;

    private async Task<HttpClient> BackendFor(string tier) =>
        _host.Client(TestTokens.For(await _host.CreateTenantAsync(tier), "quota.check", "quota.consume"));

    private static object Consume(string key, string operationClass = "summaries", long quantity = 1, string subject = "user-1") =>
        new { subjectId = subject, operationClass, quantity, idempotencyKey = key };

    [Fact]
    public async Task Walks_a_block_cell_from_allow_through_warn_to_deny()
    {
        // free/summaries: soft 7, hard 10, block
        var client = await BackendFor("free");
        var answers = new List<ApiAnswer>();
        for (var i = 1; i <= 11; i++) answers.Add(await client.ConsumeAsync(Consume($"k{i}")));

        Assert.All(answers, a => Assert.Equal(200, a.Status));
        Assert.Equal(["allow", "allow", "allow", "allow", "allow", "allow", "allow", "warn", "warn", "warn", "deny"], answers.Select(a => a.Decision));
        Assert.Equal([1L, 2, 3, 4, 5, 6, 7, 8, 9, 10, 10], answers.Select(a => a.Used));
        Assert.Equal(["ok", "ok", "ok", "ok", "ok", "ok", "ok", "soft_limit", "soft_limit", "hard_limit", "hard_limit"],
            answers.Select(a => (string)a.Json["state"]!));
        var denied = answers[^1].Json;
        Assert.False((bool)denied["allowed"]!);
        Assert.False((bool)denied["recorded"]!);
        Assert.Equal(0, (long)denied["remaining"]!);
        Assert.Null(denied["fallbackClass"]);
        Assert.Equal("error", (string)denied["message"]!["severity"]!);
        Assert.Equal("warning", (string)answers[8].Json["message"]!["severity"]!);
        Assert.Equal("info", (string)answers[6].Json["message"]!["severity"]!); // the nudge before the wall
        Assert.Null(answers[0].Json["message"]);
    }

    [Fact]
    public async Task Denies_a_degrade_cell_past_its_hard_limit_and_names_the_fallback_class()
    {
        // free/drafts: hard 20, degrade → summaries
        var client = await BackendFor("free");
        var filled = await client.ConsumeAsync(Consume("fill", "drafts", quantity: 20));
        var denied = await client.ConsumeAsync(Consume("one-more", "drafts"));

        Assert.Equal("warn", filled.Decision);
        Assert.Equal("deny", denied.Decision);
        Assert.Equal("summaries", (string)denied.Json["fallbackClass"]!);
        Assert.Equal(20, denied.Used);
        Assert.Contains("Summaries", (string)denied.Json["message"]!["title"]!);
    }

    [Fact]
    public async Task Allows_an_overage_cell_past_its_hard_limit_and_reports_the_billable_excess()
    {
        // pro/deep_research: soft 40, hard 50, overage
        var client = await BackendFor("pro");
        await client.ConsumeAsync(Consume("a", "deep_research", quantity: 49));
        var crossing = await client.ConsumeAsync(Consume("b", "deep_research", quantity: 3));
        var beyond = await client.ConsumeAsync(Consume("c", "deep_research", quantity: 2));

        Assert.Equal(("overage", 52L, 2L), (crossing.Decision, crossing.Used, (long)crossing.Json["billableQuantity"]!));
        Assert.Equal(("overage", 54L, 2L), (beyond.Decision, beyond.Used, (long)beyond.Json["billableQuantity"]!));
        Assert.True(beyond.Allowed);
        Assert.True((bool)beyond.Json["recorded"]!);
        Assert.Equal("hard_limit", (string)beyond.Json["state"]!);
    }

    [Fact]
    public async Task Allows_a_warn_cell_past_its_hard_limit_as_advisory()
    {
        // free/background_indexing: hard 100, warn
        var client = await BackendFor("free");
        var answer = await client.ConsumeAsync(Consume("big", "background_indexing", quantity: 130));

        Assert.Equal(("warn", true, 130L, 0L), (answer.Decision, answer.Allowed, answer.Used, (long)answer.Json["remaining"]!));
        Assert.Equal(0, (long)answer.Json["billableQuantity"]!);
    }

    [Fact]
    public async Task Replays_the_first_answer_for_the_same_key_and_body_without_recording_again()
    {
        var client = await BackendFor("free");
        var first = await client.ConsumeAsync(Consume("same"));
        await client.ConsumeAsync(Consume("other"));
        var replay = await client.ConsumeAsync(Consume("same"));

        Assert.False((bool)first.Json["duplicate"]!);
        Assert.True((bool)replay.Json["duplicate"]!);
        Assert.True((bool)replay.Json["recorded"]!);
        Assert.Equal(1, replay.Used); // the first answer, not today's count
        Assert.Equal(2, (await client.UsageAsync("user-1")).Json["classes"]![0]!["used"]!.GetValue<long>());
    }

    [Fact]
    public async Task Replays_a_denial_for_the_same_key_as_a_denial()
    {
        var client = await BackendFor("free");
        await client.ConsumeAsync(Consume("fill", quantity: 10));
        var denied = await client.ConsumeAsync(Consume("late"));
        var replay = await client.ConsumeAsync(Consume("late"));

        Assert.Equal(("deny", false), (denied.Decision, (bool)denied.Json["duplicate"]!));
        Assert.Equal(("deny", true, false), (replay.Decision, (bool)replay.Json["duplicate"]!, (bool)replay.Json["recorded"]!));
    }

    [Theory]
    [InlineData("user-2", "summaries", 1)]
    [InlineData("user-1", "drafts", 1)]
    [InlineData("user-1", "summaries", 2)]
    public async Task Answers_409_when_a_key_is_reused_with_a_different_request(string subject, string operationClass, long quantity)
    {
        var client = await BackendFor("free");
        await client.ConsumeAsync(Consume("key-1"));

        var conflict = await client.ConsumeAsync(Consume("key-1", operationClass, quantity, subject));

        Assert.Equal(409, conflict.Status);
        Assert.Equal("application/problem+json", conflict.ContentType);
        Assert.EndsWith("/idempotency-conflict", (string)conflict.Json["type"]!);
        Assert.Equal(1, (await client.UsageAsync("user-1")).Json["classes"]![0]!["used"]!.GetValue<long>());
    }

    [Fact]
    public async Task Scopes_idempotency_keys_to_the_tenant()
    {
        var acme = await BackendFor("free");
        var globex = await BackendFor("free");

        var a = await acme.ConsumeAsync(Consume("shared-key"));
        var b = await globex.ConsumeAsync(Consume("shared-key"));

        Assert.Equal((true, false), ((bool)a.Json["recorded"]!, (bool)a.Json["duplicate"]!));
        Assert.Equal((true, false), ((bool)b.Json["recorded"]!, (bool)b.Json["duplicate"]!));
    }

    [Fact]
    public async Task Stores_each_consume_as_a_usage_record_with_key_amount_class_subject_tenant_and_time()
    {
        var tenant = await _host.CreateTenantAsync("free");
        var client = _host.Client(TestTokens.For(tenant, "quota.consume"));
        _host.Clock.Set("2026-11-22T10:15:00Z");

        await client.ConsumeAsync(Consume("rec-1", "drafts", quantity: 3, subject: "ana"));

        await using var command = ApiHost.Database.CreateCommand(
            "SELECT subject_id, operation_class, quantity, recorded, created_at FROM usage_records WHERE tenant_id = $1 AND idempotency_key = 'rec-1'");
        command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = tenant });
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal(("ana", "drafts", 3L, true), (reader.GetString(0), reader.GetString(1), reader.GetInt64(2), reader.GetBoolean(3)));
        Assert.Equal(new DateTime(2026, 11, 22, 10, 15, 0, DateTimeKind.Utc), reader.GetDateTime(4));
    }

    [Fact]
    public async Task Sets_the_quota_headers_on_consume()
    {
        var client = await BackendFor("free");
        _host.Clock.Set("2026-11-22T10:00:00Z");

        var answer = await client.ConsumeAsync(Consume("h"));

        Assert.Equal("9", answer.Header("X-Quota-Remaining"));
        Assert.Equal("2026-11-23T00:00:00Z", answer.Header("X-Quota-Reset"));
        Assert.Equal("\"summaries\";q=10;w=86400", answer.Header("RateLimit-Policy"));
        Assert.Equal("\"summaries\";r=9;t=50400", answer.Header("RateLimit"));
    }
}
