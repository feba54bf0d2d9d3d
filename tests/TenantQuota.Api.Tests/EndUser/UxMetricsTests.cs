using TenantQuota.Testing;

namespace TenantQuota.Api.Tests.EndUser;

/// <summary>What end users did with the copy (reported), and what the copy did for them (measured from the usage records).</summary>
public sealed class UxMetricsTests : IDisposable
{
    private readonly ApiHost _host = new();

    public void Dispose() => _host.Dispose();

    private async Task<ApiAnswer> ConsumeAsync(HttpClient backend, string subject)
    {
        _host.Clock.Advance(TimeSpan.FromSeconds(1));
        return await backend.ConsumeAsync(new { subjectId = subject, operationClass = "summaries", quantity = 1, idempotencyKey = Guid.NewGuid().ToString("N") });
    }

    [Fact]
    public async Task Counts_nudges_soft_and_hard_hits_stops_that_ended_a_session_and_upgrade_click_through_per_class()
    {
        var tenant = await _host.CreateTenantAsync("free");
        var backend = _host.Client(TestTokens.For(tenant, "quota.check", "quota.consume"));
        var from = _host.Clock.GetUtcNow();
        for (var i = 0; i < 10; i++) await ConsumeAsync(backend, "ana");   // nudge at 7, past soft at 8, at hard at 10
        await ConsumeAsync(backend, "ana");                                // refused: a stop; she tries again within 60 s …
        _host.Clock.Advance(TimeSpan.FromSeconds(29));
        await ConsumeAsync(backend, "ana");                                // … and is refused again; then nothing more
        for (var i = 0; i < 3; i++) await ConsumeAsync(backend, "bob");    // well below every threshold
        var viewer = _host.Client((string)(await backend.SendAsync(HttpMethod.Post, "/v1/subjects/ana/view-tokens")).Json["token"]!);
        foreach (var type in new[] { "banner_shown", "banner_shown", "banner_dismissed", "upgrade_clicked" })
            Assert.Equal(202, (await viewer.SendAsync(HttpMethod.Post, "/v1/ux-events", new { type, operationClass = "summaries" })).Status);
        _host.Clock.Advance(TimeSpan.FromMinutes(5));

        var admin = _host.Client(TestTokens.For(tenant, "tenant.admin"));
        var metrics = await admin.SendAsync(HttpMethod.Get, $"/v1/tenant/ux-metrics?from={Uri.EscapeDataString(from.ToString("O"))}");

        Assert.Equal(200, metrics.Status);
        var summaries = metrics.Json["classes"]!.AsArray().Single(c => (string)c!["operationClass"]! == "summaries")!;
        Assert.Equal(
            """{"operationClass":"summaries","subjects":2,"softLimitHitRate":0.5,"hardLimitHitRate":0.5,"nudgesShown":1,"softLimitHits":1,"hardLimitHits":3,"bannersShown":2,"bannersDismissed":1,"upgradeClicks":1,"upgradeClickThrough":0.5,"stops":2,"stoppedWithin60Seconds":1,"stoppedWithin60SecondsRate":0.5}""",
            summaries.ToJsonString());
    }

    [Fact]
    public async Task A_view_token_reports_for_its_own_subject_only_and_a_back_end_names_the_subject()
    {
        var tenant = await _host.CreateTenantAsync("free");
        var backend = _host.Client(TestTokens.For(tenant, "quota.check"));
        var viewer = _host.Client((string)(await backend.SendAsync(HttpMethod.Post, "/v1/subjects/ana/view-tokens")).Json["token"]!);

        var own = await viewer.SendAsync(HttpMethod.Post, "/v1/ux-events", new { subjectId = "ana", type = "upgrade_clicked", operationClass = "drafts" });
        var other = await viewer.SendAsync(HttpMethod.Post, "/v1/ux-events", new { subjectId = "bob", type = "upgrade_clicked", operationClass = "drafts" });
        var fromBackend = await backend.SendAsync(HttpMethod.Post, "/v1/ux-events", new { subjectId = "bob", type = "banner_shown", operationClass = "drafts" });
        var backendWithoutSubject = await backend.SendAsync(HttpMethod.Post, "/v1/ux-events", new { type = "banner_shown", operationClass = "drafts" });
        var anonymous = await _host.Client().SendAsync(HttpMethod.Post, "/v1/ux-events", new { subjectId = "bob", type = "banner_shown", operationClass = "drafts" });

        Assert.Equal([202, 400, 202, 400, 401], new[] { own.Status, other.Status, fromBackend.Status, backendWithoutSubject.Status, anonymous.Status });
        Assert.NotNull(other.Json["errors"]!["subjectId"]);
    }

    [Theory]
    [InlineData("""{ "subjectId": "ana", "type": "clicked", "operationClass": "drafts" }""", "type")]
    [InlineData("""{ "subjectId": "ana", "type": "banner_shown", "operationClass": "poems" }""", "operationClass")]
    [InlineData("""{ "subjectId": "", "type": "banner_shown", "operationClass": "drafts" }""", "subjectId")]
    public async Task A_bad_event_is_a_400_naming_the_field(string body, string field)
    {
        var tenant = await _host.CreateTenantAsync("free");
        using var content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
        var answer = await ApiCalls.ReadAsync(await _host.Client(TestTokens.For(tenant, "quota.consume")).PostAsync("/v1/ux-events", content));

        Assert.Equal(400, answer.Status);
        Assert.NotNull(answer.Json["errors"]![field]);
    }

    [Theory]
    [InlineData("from=yesterday", "from")]
    [InlineData("from=2026-11-30T00:00:00Z&to=2026-11-01T00:00:00Z", "from")]
    [InlineData("from=2024-01-01T00:00:00Z&to=2026-01-01T00:00:00Z", "from")]
    public async Task A_bad_period_is_a_400(string query, string field)
    {
        var tenant = await _host.CreateTenantAsync("free");

        var answer = await _host.Client(TestTokens.For(tenant, "tenant.admin")).SendAsync(HttpMethod.Get, $"/v1/tenant/ux-metrics?{query}");

        Assert.Equal(400, answer.Status);
        Assert.NotNull(answer.Json["errors"]![field]);
    }
}
