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
    public async Task Gives_every_operation_a_summary_description_feature_tag_and_stable_id()
    {
        var document = (await _host.Client().SendAsync(HttpMethod.Get, "/openapi/v1.json")).Json;

        var operations = document["paths"]!.AsObject().SelectMany(p => p.Value!.AsObject().Select(o => o.Value!)).ToList();
        Assert.All(operations, operation =>
        {
            Assert.False(string.IsNullOrWhiteSpace((string?)operation["summary"]));
            Assert.False(string.IsNullOrWhiteSpace((string?)operation["description"]));
            Assert.Matches("^[A-Z][A-Za-z]+$", (string)operation["operationId"]!);
            Assert.Contains((string)operation["tags"]![0]!, new[] { "Entitlements", "Plans", "Tenants", "Budgets", "Clients", "Billing", "End users", "Governance" });
            Assert.All(new[] { "400", "401", "403", "503" }, status => Assert.NotNull(operation["responses"]![status]));
        });
        Assert.Equal(operations.Count, operations.Select(o => (string)o["operationId"]!).Distinct().Count());
        Assert.All(document["servers"]!.AsArray(), server => Assert.False(((string)server!["url"]!).EndsWith('/')));
    }

    [Theory]
    [InlineData("/v1/entitlements/check")]
    [InlineData("/v1/entitlements/consume")]
    public async Task Shows_request_and_answer_examples_for_the_hot_path(string path)
    {
        var document = (await _host.Client().SendAsync(HttpMethod.Get, "/openapi/v1.json")).Json;

        var operation = document["paths"]![path]!["post"]!;
        Assert.Equal("user-42", (string)operation["requestBody"]!["content"]!["application/json"]!["example"]!["subjectId"]!);
        Assert.True((bool)operation["requestBody"]!["required"]!);
        Assert.Equal("warn", (string)operation["responses"]!["200"]!["content"]!["application/json"]!["example"]!["decision"]!);
    }

    [Fact]
    public async Task Sends_a_person_at_the_root_to_the_api_reference()
    {
        using var browser = new HttpClient(new HttpClientHandler { AllowAutoRedirect = true }) { BaseAddress = _host.Address };

        var page = await browser.GetAsync("/");

        Assert.Equal(("/docs/", "text/html"), (page.RequestMessage!.RequestUri!.AbsolutePath, page.Content.Headers.ContentType!.MediaType));
        Assert.Contains("openapi/v1.json", await page.Content.ReadAsStringAsync());
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
