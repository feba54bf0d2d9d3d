using TenantQuota.Testing;

namespace TenantQuota.Api.Tests;

public sealed class OperationsTests(ApiHostFixture fixture) : IClassFixture<ApiHostFixture>
{
    private readonly ApiHost _host = fixture.Host;

    [Fact]
    public async Task Describes_every_endpoint_and_the_bearer_scheme_in_the_openapi_document()
    {
        var document = (await _host.Client().SendAsync(HttpMethod.Get, "/openapi/v1.json")).Json;

        var paths = document["paths"]!.AsObject().Select(p => p.Key).ToHashSet();
        Assert.Superset(new HashSet<string> { "/v1/plans", "/v1/entitlements/check", "/v1/entitlements/consume",
            "/v1/subjects/{subjectId}/usage", "/v1/tenants", "/v1/tenants/{id}", "/v1/tenants/{id}/tier" }, paths);
        Assert.Equal("bearer", (string)document["components"]!["securitySchemes"]!["bearer"]!["scheme"]!);
    }

    [Fact]
    public async Task Reports_readiness_with_the_database_check_as_json()
    {
        var ready = await _host.Client().SendAsync(HttpMethod.Get, "/health/ready");

        Assert.Equal(("Healthy", "Healthy"), ((string)ready.Json["status"]!, (string)ready.Json["checks"]!["database"]!["status"]!));
    }

    [Fact]
    public async Task Reports_not_ready_when_the_database_is_unreachable()
    {
        await using var host = new ApiHost(new Dictionary<string, string?>
        {
            ["ConnectionStrings:TenantQuota"] = "Host=127.0.0.1;Port=1;Database=nothing;Username=x;Password=x;Timeout=2",
            ["Database:MigrateOnStart"] = "false",
        });

        var live = await host.Client().SendAsync(HttpMethod.Get, "/health/live");
        var ready = await host.Client().SendAsync(HttpMethod.Get, "/health/ready");

        Assert.Equal((200, 503), (live.Status, ready.Status));
        Assert.Equal("Unhealthy", (string)ready.Json["status"]!);
    }
}
