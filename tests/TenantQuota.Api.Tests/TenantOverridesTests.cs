using TenantQuota.Testing;

namespace TenantQuota.Api.Tests;

/// <summary>Enterprise deals: a tenant's matrix overrides, checked like the matrix, applied in every process from the next request.</summary>
public sealed class TenantOverridesTests(ApiHostFixture fixture) : IClassFixture<ApiHostFixture>
{
    private readonly ApiHost _host = fixture.Host;
    private readonly HttpClient _platform = fixture.Host.Client(TestTokens.For(null, "platform.admin"));

    private Task<ApiAnswer> SetAsync(string tenant, object overrides) => _platform.SendAsync(HttpMethod.Put, $"/v1/tenants/{tenant}/overrides", overrides);

    private static object Consume(string key, string operationClass, long quantity) =>
        new { subjectId = "ana", operationClass, quantity, idempotencyKey = key };

    [Fact]
    public async Task A_raised_limit_and_another_action_apply_to_check_consume_and_usage_and_are_audited()
    {
        var tenant = await _host.CreateTenantAsync("free");
        var backend = _host.Client(TestTokens.For(tenant, "quota.check", "quota.consume"));

        var set = await SetAsync(tenant, new { summaries = new { hardLimit = 50, softLimit = 40 }, deep_research = new { overQuota = "overage" } });
        var summaries = await backend.ConsumeAsync(Consume("s", "summaries", 12));
        var research = await backend.ConsumeAsync(Consume("r", "deep_research", 4));
        var usage = await backend.UsageAsync("ana");
        var read = await _platform.SendAsync(HttpMethod.Get, $"/v1/tenants/{tenant}/overrides");
        var audit = await _host.Client(TestTokens.For(tenant, "tenant.admin")).SendAsync(HttpMethod.Get, "/v1/tenant/audit?kind=override");

        Assert.Equal(200, set.Status);
        Assert.Equal(("allow", 12L, 50L), (summaries.Decision, summaries.Used, (long)summaries.Json["hardLimit"]!));
        Assert.Equal(("overage", 1L), (research.Decision, (long)research.Json["billableQuantity"]!));
        Assert.Equal(50L, (long)usage.Json["classes"]!.AsArray().Single(c => (string)c!["operationClass"]! == "summaries")!["hardLimit"]!);
        Assert.Equal("""{"summaries":{"hardLimit":50,"softLimit":40},"deep_research":{"overQuota":"overage"}}""", read.Json.ToJsonString());
        Assert.Equal(("test-client", "{}", 50L), ((string)audit.Json["items"]![0]!["actor"]!, audit.Json["items"]![0]!["before"]!.ToJsonString(),
            (long)audit.Json["items"]![0]!["after"]!["summaries"]!["hardLimit"]!));
    }

    [Fact]
    public async Task Another_api_process_uses_the_new_cells_from_its_next_request()
    {
        var tenant = await _host.CreateTenantAsync("free");
        using var other = new ApiHost();
        var otherBackend = other.Client(TestTokens.For(tenant, "quota.consume"));
        Assert.Equal(10L, (long)(await otherBackend.ConsumeAsync(Consume("warm", "summaries", 1))).Json["hardLimit"]!); // the other process caches the tenant

        Assert.Equal(200, (await SetAsync(tenant, new { summaries = new { hardLimit = 30, softLimit = 20 } })).Status);
        var after = await otherBackend.ConsumeAsync(Consume("after", "summaries", 15));

        Assert.Equal(("allow", 16L, 30L), (after.Decision, after.Used, (long)after.Json["hardLimit"]!)); // 16 would be refused at the tier's 10
    }

    [Theory]
    [InlineData("""{ "poems": { "hardLimit": 5 } }""", "class 'poems': not an operation class of the matrix")]
    [InlineData("""{ "summaries": { "hardLimit": 5 } }""", "tier 'free', class 'summaries', field 'softLimit': 7 is above hardLimit 5")]
    [InlineData("""{ "summaries": { "hardLimit": 100 } }""", "tier 'pro', class 'summaries', field 'softLimit': 150 is above hardLimit 100")] // they apply in every tier
    [InlineData("""{ "summaries": { "overQuota": "degrade" } }""", "tier 'free', class 'summaries', field 'fallbackClass': required when overQuota is 'degrade'")]
    [InlineData("""{ "summaries": { "overQuota": "degrade", "fallbackClass": "drafts" } }""", "the degrade chain loops back")]
    [InlineData("""{ "summaries": { "reset": "weekly" } }""", "class 'summaries', field 'reset': not overridable")]
    [InlineData("""{ "summaries": { "hardLimit": -1 } }""", "class 'summaries', field 'hardLimit': a whole number")]
    [InlineData("""{ "summaries": { "overQuota": "explode" } }""", "class 'summaries', field 'overQuota': one of block")]
    [InlineData("""[ 1 ]""", "A JSON object is required")]
    public async Task A_bad_override_is_a_400_that_names_the_problem_and_changes_nothing(string body, string named)
    {
        var tenant = await _host.CreateTenantAsync("free");
        await SetAsync(tenant, new { drafts = new { hardLimit = 25, softLimit = 20 } });
        using var content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");

        var answer = await ApiCalls.ReadAsync(await _platform.PutAsync($"/v1/tenants/{tenant}/overrides", content));
        var kept = await _platform.SendAsync(HttpMethod.Get, $"/v1/tenants/{tenant}/overrides");

        Assert.Equal(400, answer.Status);
        Assert.Contains(named, answer.Json.ToJsonString().Replace("\\u0027", "'"));
        Assert.Equal("""{"drafts":{"hardLimit":25,"softLimit":20}}""", kept.Json.ToJsonString());
    }

    [Fact]
    public async Task An_empty_object_removes_them_and_only_the_platform_operator_sets_them()
    {
        var tenant = await _host.CreateTenantAsync("free");
        await SetAsync(tenant, new { summaries = new { hardLimit = 50 } });

        var byTenantAdmin = await _host.Client(TestTokens.For(tenant, "tenant.admin")).SendAsync(HttpMethod.Put, $"/v1/tenants/{tenant}/overrides", new { });
        var cleared = await SetAsync(tenant, new { });
        var check = await _host.Client(TestTokens.For(tenant, "quota.check")).CheckAsync(new { subjectId = "ana", operationClass = "summaries" });
        var unknown = await SetAsync("no-such-tenant", new { });

        Assert.Equal((403, 200, 10L, 404), (byTenantAdmin.Status, cleared.Status, (long)check.Json["hardLimit"]!, unknown.Status));
    }
}
