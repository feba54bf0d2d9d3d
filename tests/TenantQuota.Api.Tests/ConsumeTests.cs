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
        Assert.Contains("summaries still work", (string)denied.Json["message"]!["title"]!);
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
