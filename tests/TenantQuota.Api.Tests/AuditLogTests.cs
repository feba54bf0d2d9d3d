using Npgsql;
using TenantQuota.Testing;

namespace TenantQuota.Api.Tests;

/// <summary>Who changed a tenant's tier, clients and allowed origins, kept where nobody can rewrite it.</summary>
public sealed class AuditLogTests(ApiHostFixture fixture) : IClassFixture<ApiHostFixture>
{
    private readonly ApiHost _host = fixture.Host;
    private readonly HttpClient _platform = fixture.Host.Client(TestTokens.For(null, "platform.admin"));

    private HttpClient Admin(string tenant) => _host.Client(TestTokens.For(tenant, "tenant.admin"));

    private Task<ApiAnswer> AuditAsync(string tenant, string query = "") => Admin(tenant).SendAsync(HttpMethod.Get, "/v1/tenant/audit" + query);

    [Fact]
    public async Task Records_tier_changes_clients_and_allowed_origins_with_actor_before_and_after_newest_first()
    {
        var tenant = await _host.CreateTenantAsync("free");
        Assert.Equal(200, (await _platform.SendAsync(HttpMethod.Put, $"/v1/tenants/{tenant}/tier", new { tier = "pro" })).Status);
        var created = await Admin(tenant).SendAsync(HttpMethod.Post, "/v1/tenant/clients", new { name = "Back end", scopes = new[] { "quota.check" } });
        var clientId = (string)created.Json["clientId"]!;
        Assert.Equal(204, (await Admin(tenant).SendAsync(HttpMethod.Delete, $"/v1/tenant/clients/{clientId}")).Status);
        Assert.Equal(200, (await Admin(tenant).SendAsync(HttpMethod.Put, "/v1/tenant/allowed-origins", new { allowedOrigins = new[] { "https://app.example" } })).Status);

        var audit = await AuditAsync(tenant);

        var items = audit.Json["items"]!.AsArray();
        Assert.Equal(["allowed_origins changed", "client revoked", "client created", "tier changed"], items.Select(i => $"{i!["kind"]} {i["action"]}"));
        var tier = items[3]!;
        Assert.Equal(("test-client", """{"tier":"free"}""", """{"tier":"pro"}"""), ((string)tier["actor"]!, tier["before"]!.ToJsonString(), tier["after"]!.ToJsonString()));
        Assert.Equal(clientId, (string)items[2]!["target"]!);
        Assert.Equal("""{"name":"Back end","scopes":["quota.check"]}""", items[2]!["after"]!.ToJsonString());
        Assert.Equal("""{"allowedOrigins":[]}""", items[0]!["before"]!.ToJsonString());
        Assert.Null(audit.Json["next"]);
    }

    [Fact]
    public async Task Pages_newest_first_and_filters_by_kind_and_shows_no_other_tenants_entries()
    {
        var tenant = await _host.CreateTenantAsync("free");
        var other = await _host.CreateTenantAsync("free");
        foreach (var tier in new[] { "pro", "team", "enterprise" })
            await _platform.SendAsync(HttpMethod.Put, $"/v1/tenants/{tenant}/tier", new { tier });
        await _platform.SendAsync(HttpMethod.Put, $"/v1/tenants/{other}/tier", new { tier = "pro" });
        await Admin(tenant).SendAsync(HttpMethod.Put, "/v1/tenant/allowed-origins", new { allowedOrigins = new[] { "https://app.example" } });

        var first = await AuditAsync(tenant, "?kind=tier&limit=2");
        var second = await AuditAsync(tenant, $"?kind=tier&limit=2&before={first.Json["next"]}");

        string Tiers(ApiAnswer page) => string.Join(",", page.Json["items"]!.AsArray().Select(i => (string)i!["after"]!["tier"]!));
        Assert.Equal("enterprise,team", Tiers(first));
        Assert.Equal("pro", Tiers(second));
        Assert.Null(second.Json["next"]);
    }

    [Theory]
    [InlineData("?kind=budget_of_the_moon", "kind")]
    [InlineData("?limit=0", "limit")]
    [InlineData("?limit=201", "limit")]
    [InlineData("?before=abc", "before")]
    [InlineData("?from=yesterday", "from")]
    public async Task A_bad_query_is_a_400_naming_the_parameter(string query, string field)
    {
        var answer = await AuditAsync(await _host.CreateTenantAsync("free"), query);

        Assert.Equal(400, answer.Status);
        Assert.NotNull(answer.Json["errors"]![field]);
    }

    [Theory]
    [InlineData("UPDATE audit_log SET actor = 'someone else' WHERE tenant_id = $1")]
    [InlineData("DELETE FROM audit_log WHERE tenant_id = $1")]
    [InlineData("TRUNCATE audit_log")]
    public async Task The_database_refuses_to_change_or_remove_an_entry(string sql)
    {
        var tenant = await _host.CreateTenantAsync("free");
        await _platform.SendAsync(HttpMethod.Put, $"/v1/tenants/{tenant}/tier", new { tier = "pro" });
        await using var command = ApiHost.Database.CreateCommand(sql);
        if (sql.Contains("$1")) command.Parameters.Add(new NpgsqlParameter { Value = tenant });

        var refused = await Assert.ThrowsAsync<PostgresException>(() => command.ExecuteNonQueryAsync());

        Assert.Contains("append-only", refused.MessageText);
        Assert.Single((await AuditAsync(tenant)).Json["items"]!.AsArray());
    }
}
