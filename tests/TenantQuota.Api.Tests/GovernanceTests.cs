using System.Text.Json.Nodes;
using Npgsql;
using TenantQuota.Testing;

namespace TenantQuota.Api.Tests;

/// <summary>A tenant admin's webhook endpoints and alert list: their own tenant's only, secrets answered once.</summary>
public sealed class GovernanceTests(ApiHostFixture fixture) : IClassFixture<ApiHostFixture>
{
    private const string Hook = "https://hooks.example/tq";
    private readonly ApiHost _host = fixture.Host;

    private HttpClient Admin(string tenant) => _host.Client(TestTokens.For(tenant, "tenant.admin"));

    private static Task<ApiAnswer> CreateAsync(HttpClient admin, string url = Hook, params string[] events) =>
        admin.SendAsync(HttpMethod.Post, "/v1/tenant/webhooks", new { url, events = events.Length > 0 ? events : ["alert.*"] });

    private static async Task<JsonArray> ListAsync(HttpClient admin) => (await admin.SendAsync(HttpMethod.Get, "/v1/tenant/webhooks")).Json["items"]!.AsArray();

    private static async Task<long> StoredEndpointsAsync(string tenant)
    {
        await using var command = ApiHost.Database.CreateCommand("SELECT count(*) FROM webhook_endpoints WHERE tenant_id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = tenant });
        return (long)(await command.ExecuteScalarAsync())!;
    }

    [Fact]
    public async Task Create_answers_the_secret_once_and_the_list_shows_endpoints_oldest_first_without_it()
    {
        var admin = Admin(await _host.CreateTenantAsync("free"));

        var first = await CreateAsync(admin, Hook, "alert.*", "report.usage", "alert.*");
        _host.Clock.Advance(TimeSpan.FromSeconds(1));
        var second = await CreateAsync(admin, "https://hooks.example/second", "*");
        var items = await ListAsync(admin);

        Assert.Equal(201, first.Status);
        Assert.Matches("^we_[a-z0-9]{24}$", (string)first.Json["id"]!);
        Assert.Matches("^whsec_[0-9a-f]{64}$", (string)first.Json["secret"]!);
        Assert.NotEqual((string)first.Json["secret"]!, (string)second.Json["secret"]!);
        Assert.Equal([first.Json["id"]!.ToString(), second.Json["id"]!.ToString()], items.Select(i => (string)i!["id"]!));
        var listed = items[0]!.AsObject();
        Assert.Equal(["createdAt", "events", "id", "url"], listed.Select(p => p.Key).Order());
        Assert.Equal((Hook, """["alert.*","report.usage"]""", (string)first.Json["createdAt"]!),
            ((string)listed["url"]!, listed["events"]!.ToJsonString(), (string)listed["createdAt"]!));
    }

    [Theory]
    [InlineData("""{"events":["alert.*"]}""", "url")]
    [InlineData("""{"url":"hooks.example/tq","events":["alert.*"]}""", "url")]
    [InlineData("""{"url":"ftp://hooks.example/tq","events":["alert.*"]}""", "url")]
    [InlineData("""{"url":"http://hooks.example/tq","events":["alert.*"]}""", "url")]
    [InlineData("""{"url":"https://me:secret@hooks.example/tq","events":["alert.*"]}""", "url")]
    [InlineData("""{"url":"https://hooks.example/tq#top","events":["alert.*"]}""", "url")]
    [InlineData("""{"url":"https://hooks.example/tq"}""", "events")]
    [InlineData("""{"url":"https://hooks.example/tq","events":[]}""", "events")]
    [InlineData("""{"url":"https://hooks.example/tq","events":["alert.*","alert.nope"]}""", "events")]
    [InlineData("""{"url":"https://hooks.example/tq","events":[null]}""", "events")]
    public async Task A_bad_create_is_a_400_naming_the_field_and_stores_nothing(string body, string field)
    {
        var tenant = await _host.CreateTenantAsync("free");

        var answer = await Admin(tenant).SendAsync(HttpMethod.Post, "/v1/tenant/webhooks", JsonNode.Parse(body));

        Assert.Equal(400, answer.Status);
        Assert.NotNull(answer.Json["errors"]![field]);
        Assert.Equal(0, await StoredEndpointsAsync(tenant));
    }

    [Fact]
    public async Task A_url_longer_than_2048_characters_or_more_than_20_events_is_refused()
    {
        var admin = Admin(await _host.CreateTenantAsync("free"));

        var longUrl = await CreateAsync(admin, Hook + "/" + new string('a', 2048 - Hook.Length));
        var manyEvents = await CreateAsync(admin, Hook, [.. Enumerable.Repeat("alert.*", 21)]);
        var longest = await CreateAsync(admin, Hook + "/" + new string('a', 2047 - Hook.Length), [.. Enumerable.Repeat("alert.*", 20)]);

        Assert.NotNull(longUrl.Json["errors"]!["url"]);
        Assert.NotNull(manyEvents.Json["errors"]!["events"]);
        Assert.Equal(201, longest.Status);
    }

    [Fact]
    public async Task Plain_http_to_this_machine_is_allowed_only_where_the_setting_says()
    {
        var tenant = await _host.CreateTenantAsync("free");
        await using var strict = new ApiHost(new Dictionary<string, string?> { ["Governance:AllowLoopbackHttpWebhooks"] = "false" });

        var allowed = await CreateAsync(Admin(tenant), "http://127.0.0.1:9/hook");
        var refused = await CreateAsync(strict.Client(TestTokens.For(tenant, "tenant.admin")), "http://localhost:9/hook");

        Assert.Equal(201, allowed.Status);
        Assert.Equal(400, refused.Status);
        Assert.NotNull(refused.Json["errors"]!["url"]);
    }

    [Fact]
    public async Task A_tenant_has_at_most_10_live_endpoints()
    {
        var admin = Admin(await _host.CreateTenantAsync("free"));
        var created = new List<string>();
        for (var i = 0; i < 10; i++) created.Add((string)(await CreateAsync(admin)).Json["id"]!);

        var eleventh = await CreateAsync(admin);
        await admin.SendAsync(HttpMethod.Delete, $"/v1/tenant/webhooks/{created[0]}");
        var afterDelete = await CreateAsync(admin);

        Assert.Equal(400, eleventh.Status);
        Assert.Contains("10 webhook endpoints", (string)eleventh.Json["detail"]!);
        Assert.Equal(201, afterDelete.Status);
    }

    [Fact]
    public async Task Delete_answers_204_then_404_and_the_endpoint_leaves_the_list_but_keeps_its_row()
    {
        var tenant = await _host.CreateTenantAsync("free");
        var admin = Admin(tenant);
        var id = (string)(await CreateAsync(admin)).Json["id"]!;

        var deleted = await admin.SendAsync(HttpMethod.Delete, $"/v1/tenant/webhooks/{id}");
        var again = await admin.SendAsync(HttpMethod.Delete, $"/v1/tenant/webhooks/{id}");

        Assert.Equal(204, deleted.Status);
        Assert.Equal((404, "application/problem+json"), (again.Status, again.ContentType));
        Assert.Empty(await ListAsync(admin));
        Assert.Equal(1, await StoredEndpointsAsync(tenant));
    }

    [Fact]
    public async Task Another_tenant_neither_sees_nor_deletes_an_endpoint()
    {
        var owner = Admin(await _host.CreateTenantAsync("free"));
        var other = Admin(await _host.CreateTenantAsync("free"));
        var id = (string)(await CreateAsync(owner)).Json["id"]!;

        var othersList = await ListAsync(other);
        var othersDelete = await other.SendAsync(HttpMethod.Delete, $"/v1/tenant/webhooks/{id}");

        Assert.Empty(othersList);
        Assert.Equal(404, othersDelete.Status);
        Assert.Single(await ListAsync(owner));
    }

    [Theory]
    [InlineData("POST", "/v1/tenant/webhooks")]
    [InlineData("GET", "/v1/tenant/webhooks")]
    [InlineData("DELETE", "/v1/tenant/webhooks/we_000000000000000000000000")]
    [InlineData("GET", "/v1/tenant/alerts")]
    public async Task Needs_the_tenant_admin_scope(string method, string path)
    {
        var backend = _host.Client(TestTokens.For(await _host.CreateTenantAsync("free"), "quota.check", "quota.consume"));

        var answer = await backend.SendAsync(new HttpMethod(method), path, method == "POST" ? new { url = Hook, events = new[] { "*" } } : null);

        Assert.Equal(403, answer.Status);
    }

    [Fact]
    public async Task A_token_for_a_tenant_that_does_not_exist_creates_nothing()
    {
        var answer = await CreateAsync(Admin($"nobody-{Guid.NewGuid():N}"[..20]));

        Assert.Equal(403, answer.Status);
        Assert.EndsWith("/tenant-not-provisioned", (string)answer.Json["type"]!);
    }

    [Fact]
    public async Task Create_and_delete_are_in_the_audit_log_without_the_secret()
    {
        var admin = Admin(await _host.CreateTenantAsync("free"));
        var created = await CreateAsync(admin, Hook, "alert.recovered");
        var id = (string)created.Json["id"]!;
        await admin.SendAsync(HttpMethod.Delete, $"/v1/tenant/webhooks/{id}");

        var audit = await admin.SendAsync(HttpMethod.Get, "/v1/tenant/audit?kind=webhook");

        var items = audit.Json["items"]!.AsArray();
        Assert.Equal(["webhook deleted", "webhook created"], items.Select(i => $"{i!["kind"]} {i["action"]}"));
        Assert.All(items, i => Assert.Equal((id, "test-client"), ((string)i!["target"]!, (string)i["actor"]!)));
        const string Endpoint = """{"url":"https://hooks.example/tq","events":["alert.recovered"]}""";
        Assert.Equal((Endpoint, Endpoint), (items[0]!["before"]!.ToJsonString(), items[1]!["after"]!.ToJsonString()));
        Assert.DoesNotContain((string)created.Json["secret"]!, audit.Json.ToJsonString());
    }

    /// <summary>Four events of the tenant (two at one instant) and one of another tenant, straight into tenant_events.</summary>
    private async Task<string> TenantWithEventsAsync()
    {
        var tenant = await _host.CreateTenantAsync("free");
        var other = await _host.CreateTenantAsync("free");
        await using var command = ApiHost.Database.CreateCommand("""
            INSERT INTO tenant_events (tenant_id, id, type, created_at, data)
            SELECT CASE WHEN e.id = 'evt_other' THEN $2 ELSE $1 END, e.id, e.type, e.at::timestamptz, jsonb_build_object('threshold', e.n)
              FROM (VALUES ('evt_1', 'alert.threshold_crossed', '2026-11-01T10:00:00Z', 1),
                           ('evt_2', 'report.usage',            '2026-11-01T11:00:00Z', 2),
                           ('evt_3', 'alert.recovered',         '2026-11-01T12:00:00Z', 3),
                           ('evt_4', 'alert.threshold_crossed', '2026-11-01T12:00:00Z', 4),
                           ('evt_other', 'alert.threshold_crossed', '2026-11-01T10:30:00Z', 5)) AS e (id, type, at, n)
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = tenant });
        command.Parameters.Add(new NpgsqlParameter { Value = other });
        await command.ExecuteNonQueryAsync();
        return tenant;
    }

    [Fact]
    public async Task Alerts_are_the_tenants_own_events_newest_first_as_webhooks_carry_them()
    {
        var tenant = await TenantWithEventsAsync();

        var answer = await Admin(tenant).SendAsync(HttpMethod.Get, "/v1/tenant/alerts");

        var items = answer.Json["items"]!.AsArray();
        Assert.Equal(["evt_4", "evt_3", "evt_2", "evt_1"], items.Select(i => (string)i!["id"]!));
        Assert.Equal($$$"""{"id":"evt_4","type":"alert.threshold_crossed","createdAt":"2026-11-01T12:00:00Z","tenantId":"{{{tenant}}}","data":{"threshold":4}}""",
            items[0]!.ToJsonString());
    }

    [Theory]
    [InlineData("?type=alert.*", "evt_4,evt_3,evt_1")]
    [InlineData("?type=alert.threshold_crossed", "evt_4,evt_1")]
    [InlineData("?type=*", "evt_4,evt_3,evt_2,evt_1")]
    [InlineData("?from=2026-11-01T11:00:00Z&to=2026-11-01T12:00:00Z", "evt_2")]
    [InlineData("?limit=2", "evt_4,evt_3")]
    public async Task Alerts_filter_by_type_pattern_time_and_limit(string query, string ids)
    {
        var tenant = await TenantWithEventsAsync();

        var answer = await Admin(tenant).SendAsync(HttpMethod.Get, "/v1/tenant/alerts" + query);

        Assert.Equal(ids, string.Join(",", answer.Json["items"]!.AsArray().Select(i => (string)i!["id"]!)));
    }

    [Theory]
    [InlineData("?limit=0", "limit")]
    [InlineData("?limit=501", "limit")]
    [InlineData("?from=yesterday", "from")]
    [InlineData("?to=2026-11-01", "to")]
    [InlineData("?type=alert.nope", "type")]
    public async Task A_bad_alerts_query_is_a_400_naming_the_parameter(string query, string field)
    {
        var answer = await Admin(await _host.CreateTenantAsync("free")).SendAsync(HttpMethod.Get, "/v1/tenant/alerts" + query);

        Assert.Equal(400, answer.Status);
        Assert.NotNull(answer.Json["errors"]![field]);
    }
}
