using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using TenantQuota.Data.Governance;
using TenantQuota.Domain.Budgets;
using TenantQuota.Domain.Governance;
using TenantQuota.Testing;

namespace TenantQuota.Api.Tests;

/// <summary>
/// The anomaly policy's API, and what a hold does to requests: the hot path refuses the held person or department's
/// people with reason anomaly (degrade lets its fallback class through) until an admin clears it; replays answer what
/// they answered before. Holds are placed here as the worker's detector places them (AnomalyStore.ActAsync).
/// </summary>
public sealed class AnomalyHoldTests(ApiHostFixture fixture) : IClassFixture<ApiHostFixture>
{
    private readonly ApiHost _host = fixture.Host;
    private static readonly DateTimeOffset Hour = new(2026, 11, 20, 3, 0, 0, TimeSpan.Zero);

    private AnomalyStore Anomalies => _host.Services.GetRequiredService<AnomalyStore>();

    private async Task<(string Tenant, HttpClient Admin, HttpClient Backend)> TenantAsync()
    {
        var tenant = await _host.CreateTenantAsync("enterprise");
        return (tenant, _host.Client(TestTokens.For(tenant, "tenant.admin")), _host.Client(TestTokens.For(tenant, "quota.check", "quota.consume")));
    }

    private Task<bool> HoldAsync(string tenant, string policyJson, QuotaLevel level, string owner) =>
        Anomalies.ActAsync(tenant, AnomalyPolicies.FromStored(policyJson, _host.Services.GetRequiredService<TenantQuota.Domain.Matrix.QuotaMatrix>()),
            new FoundSpike(level, owner, Hour, new Spike(300, 5, 20)), CancellationToken.None);

    private const string Block = """{"metric":"summaries","minimumVolume":20,"action":"block"}""";
    private const string Degrade = """{"metric":"summaries","minimumVolume":20,"action":"degrade","fallbackClass":"drafts"}""";

    private static object Consume(string subject, string operationClass = "summaries", string? key = null) =>
        new { subjectId = subject, operationClass, quantity = 1, idempotencyKey = key ?? Guid.NewGuid().ToString("N") };

    [Fact]
    public async Task A_held_person_is_refused_with_the_anomaly_copy_until_an_admin_clears_it_and_a_replay_answers_as_before()
    {
        var (tenant, admin, backend) = await TenantAsync();
        var before = await backend.ConsumeAsync(Consume("ana", key: "before-the-hold"));

        Assert.True(await HoldAsync(tenant, Block, QuotaLevel.Subject, "ana"));
        var held = await backend.ConsumeAsync(Consume("ana"), acceptLanguage: "es");
        var check = await backend.CheckAsync(new { subjectId = "ana", operationClass = "drafts" });
        var replay = await backend.ConsumeAsync(Consume("ana", key: "before-the-hold"));
        var other = await backend.ConsumeAsync(Consume("ben"));
        var cleared = await admin.SendAsync(HttpMethod.Delete, "/v1/tenant/anomaly-holds/subject/ana");
        var after = await backend.ConsumeAsync(Consume("ana"));

        Assert.True(before.Allowed);
        Assert.False(held.Allowed);
        Assert.Equal(("deny", "anomaly", "subject"), (held.Decision, (string?)held.Json["reason"], (string?)held.Json["limitingLevel"]));
        Assert.Null((string?)held.Json["fallbackClass"]);
        Assert.Equal("En pausa por un uso inusual", (string?)held.Json["message"]!["title"]);
        Assert.Equal(1, held.Used); // what was counted before, unchanged
        Assert.False(check.Allowed); // block holds every class
        Assert.True(replay.Allowed);
        Assert.True(replay.Json["duplicate"]!.GetValue<bool>());
        Assert.True(other.Allowed);
        Assert.Equal(204, cleared.Status);
        Assert.True(after.Allowed);
        Assert.Equal(2, after.Used);
        var audit = (await admin.SendAsync(HttpMethod.Get, "/v1/tenant/audit?kind=anomaly_hold")).Json["items"]!.AsArray();
        Assert.Equal([("cleared", "subject:ana"), ("held", "subject:ana")], audit.Select(e => ((string)e!["action"]!, (string)e["target"]!)));
        Assert.Equal(AnomalyStore.DetectorActor, (string?)audit[1]!["actor"]);
        Assert.NotEqual(AnomalyStore.DetectorActor, (string?)audit[0]!["actor"]);
    }

    [Fact]
    public async Task A_held_department_degrades_its_people_to_the_fallback_class_and_no_one_else()
    {
        var (tenant, admin, backend) = await TenantAsync();
        Assert.Equal(201, (await admin.SendAsync(HttpMethod.Put, "/v1/tenant/departments/research", new { name = "Research" })).Status);
        Assert.Equal(200, (await admin.SendAsync(HttpMethod.Put, "/v1/tenant/subjects/ana", new { departmentId = "research" })).Status);
        _ = await backend.CheckAsync(new { subjectId = "ana", operationClass = "summaries" }); // this process has the tenant cached before the hold

        Assert.True(await HoldAsync(tenant, Degrade, QuotaLevel.Department, "research"));
        var summaries = await backend.ConsumeAsync(Consume("ana"));
        var drafts = await backend.ConsumeAsync(Consume("ana", "drafts"));
        var outsider = await backend.ConsumeAsync(Consume("ben"));
        var holds = (await admin.SendAsync(HttpMethod.Get, "/v1/tenant/anomaly-holds")).Json["items"]!.AsArray();

        Assert.Equal(("anomaly", "department", "drafts"), ((string?)summaries.Json["reason"], (string?)summaries.Json["limitingLevel"], (string?)summaries.Json["fallbackClass"]));
        Assert.False(summaries.Allowed);
        Assert.Contains("drafts", (string)summaries.Json["message"]!["body"]!);
        Assert.True(drafts.Allowed);
        Assert.True(outsider.Allowed);
        var hold = Assert.Single(holds)!;
        Assert.Equal(("department", "research", "degrade", "drafts"), ((string)hold["level"]!, (string)hold["ownerId"]!, (string)hold["action"]!, (string)hold["fallbackClass"]!));
    }

    [Fact]
    public async Task A_spike_of_someone_already_held_holds_nothing_more()
    {
        var (tenant, admin, _) = await TenantAsync();
        Assert.True(await HoldAsync(tenant, Block, QuotaLevel.Subject, "ana"));
        var second = await Anomalies.ActAsync(tenant, AnomalyPolicies.FromStored(Block, _host.Services.GetRequiredService<TenantQuota.Domain.Matrix.QuotaMatrix>()),
            new FoundSpike(QuotaLevel.Subject, "ana", Hour.AddHours(2), new Spike(300, 5, 20)), CancellationToken.None);

        Assert.True(second); // a new episode still tells the tenant…
        Assert.Single((await admin.SendAsync(HttpMethod.Get, "/v1/tenant/anomaly-holds")).Json["items"]!.AsArray()); // …but holds once
        var actions = (await admin.SendAsync(HttpMethod.Get, "/v1/tenant/alerts?type=alert.anomaly")).Json["items"]!.AsArray()
            .Select(e => (string)e!["data"]!["action"]!).Order();
        Assert.Equal(["block", "notify"], actions);
    }

    [Fact]
    public async Task The_policy_is_set_read_removed_and_audited()
    {
        var (_, admin, _) = await TenantAsync();
        var missing = await admin.SendAsync(HttpMethod.Get, "/v1/tenant/anomaly-policy");
        var set = await admin.SendAsync(HttpMethod.Put, "/v1/tenant/anomaly-policy", new { metric = "usd", minimumVolume = 2.5, action = "block", levels = new[] { "subject" } });
        var read = await admin.SendAsync(HttpMethod.Get, "/v1/tenant/anomaly-policy");
        var removed = await admin.SendAsync(HttpMethod.Delete, "/v1/tenant/anomaly-policy");
        var removedAgain = await admin.SendAsync(HttpMethod.Delete, "/v1/tenant/anomaly-policy");

        Assert.Equal(404, missing.Status);
        Assert.Equal(200, set.Status);
        Assert.Equal("""{"metric":"usd","minimumVolume":2.5,"sensitivity":4,"action":"block","fallbackClass":null,"levels":["subject"]}""", read.Json.ToJsonString());
        Assert.Equal((204, 404), (removed.Status, removedAgain.Status));
        var audit = (await admin.SendAsync(HttpMethod.Get, "/v1/tenant/audit?kind=anomaly_policy")).Json["items"]!.AsArray();
        Assert.Equal(["removed", "created"], audit.Select(e => (string)e!["action"]!));
    }

    [Theory]
    [InlineData("""{"minimumVolume":5}""", "metric")]
    [InlineData("""{"metric":"poetry","minimumVolume":5}""", "metric")]
    [InlineData("""{"metric":"usd"}""", "minimumVolume")]
    [InlineData("""{"metric":"usd","minimumVolume":0.0000001}""", "minimumVolume")]
    [InlineData("""{"metric":"summaries","minimumVolume":2.5}""", "minimumVolume")]
    [InlineData("""{"metric":"usd","minimumVolume":5,"sensitivity":0.5}""", "sensitivity")]
    [InlineData("""{"metric":"usd","minimumVolume":5,"action":"shout"}""", "action")]
    [InlineData("""{"metric":"usd","minimumVolume":5,"action":"degrade"}""", "fallbackClass")]
    [InlineData("""{"metric":"usd","minimumVolume":5,"fallbackClass":"drafts"}""", "fallbackClass")]
    [InlineData("""{"metric":"usd","minimumVolume":5,"action":"degrade","fallbackClass":"poetry"}""", "fallbackClass")]
    [InlineData("""{"metric":"usd","minimumVolume":5,"levels":["tenant"]}""", "levels")]
    [InlineData("""{"metric":"drafts","minimumVolume":5,"action":"degrade","fallbackClass":"drafts"}""", "fallbackClass")]
    [InlineData("""{"metric":"usd","minimumVolume":5,"levels":[]}""", "levels")]
    [InlineData("""{"metric":"usd","minimumVolume":5,"k":3}""", "k")]
    [InlineData("""[1]""", "body")]
    public async Task A_bad_policy_is_a_400_naming_the_field_and_changes_nothing(string body, string field)
    {
        var (_, admin, _) = await TenantAsync();
        await admin.SendAsync(HttpMethod.Put, "/v1/tenant/anomaly-policy", new { metric = "tokens", minimumVolume = 1000 });

        var answer = await admin.SendAsync(HttpMethod.Put, "/v1/tenant/anomaly-policy", JsonNode.Parse(body));

        Assert.Equal(400, answer.Status);
        Assert.Equal("application/problem+json", answer.ContentType);
        Assert.NotNull(answer.Json["errors"]![field]);
        Assert.Equal("tokens", (string?)(await admin.SendAsync(HttpMethod.Get, "/v1/tenant/anomaly-policy")).Json["metric"]);
    }

    [Fact]
    public async Task A_person_whose_id_holds_a_slash_is_cleared_by_its_escaped_id()
    {
        var (tenant, admin, backend) = await TenantAsync();
        Assert.True(await HoldAsync(tenant, Block, QuotaLevel.Subject, "team/ana"));

        var cleared = await admin.SendAsync(HttpMethod.Delete, "/v1/tenant/anomaly-holds/subject/team%2Fana");

        Assert.Equal(204, cleared.Status);
        Assert.True((await backend.ConsumeAsync(Consume("team/ana"))).Allowed);
    }

    [Fact]
    public async Task Clearing_names_a_level_and_something_held()
    {
        var (_, admin, _) = await TenantAsync();
        var badLevel = await admin.SendAsync(HttpMethod.Delete, "/v1/tenant/anomaly-holds/tenant/x");
        var nothingHeld = await admin.SendAsync(HttpMethod.Delete, "/v1/tenant/anomaly-holds/subject/ana");
        var badInclude = await admin.SendAsync(HttpMethod.Get, "/v1/tenant/anomaly-holds?include=everything");

        Assert.Equal((400, 404, 400), (badLevel.Status, nothingHeld.Status, badInclude.Status));
        Assert.Empty((await admin.SendAsync(HttpMethod.Get, "/v1/tenant/audit?kind=anomaly_hold")).Json["items"]!.AsArray());
    }
}
