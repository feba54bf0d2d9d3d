using System.Text.Json.Nodes;
using Reqnroll;
using TenantQuota.Testing;

namespace TenantQuota.Features.Steps;

/// <summary>The tenant's webhook endpoints, as its admins register, list and delete them.</summary>
[Binding]
public sealed class GovernanceSteps(ScenarioApi api)
{
    private string? _endpointId;

    private HttpClient Admin(string? tenant = null) => api.Host.Client(TestTokens.For(tenant ?? api.RequireTenant, "tenant.admin"));

    private static string[] Events(string list) => list.Split(", ");

    private async Task<JsonArray> EndpointsAsync()
    {
        var answer = await Admin().SendAsync(HttpMethod.Get, "/v1/tenant/webhooks");
        Assert.Equal(200, answer.Status);
        return answer.Json["items"]!.AsArray();
    }

    [When("the tenant admin registers {string} for {string}")]
    public async Task Registers(string url, string events)
    {
        var answer = api.Record(await Admin().SendAsync(HttpMethod.Post, "/v1/tenant/webhooks", new { url, events = Events(events) }));
        _endpointId = (string?)answer.Json["id"];
    }

    [Given("the tenant admin has registered {string} for {string}")]
    public async Task HasRegistered(string url, string events)
    {
        await Registers(url, events);
        Assert.Equal(201, api.RequireLast.Status);
    }

    [When("the tenant admin deletes that endpoint")]
    public async Task Deletes() => Assert.Equal(204, (await DeleteAsync(api.RequireTenant)).Status);

    [When("the other tenant's admin deletes that endpoint")]
    public async Task OtherTenantDeletes() => await DeleteAsync(api.OtherTenant ?? throw new InvalidOperationException("No other tenant (Given another tenant …)."));

    private async Task<ApiAnswer> DeleteAsync(string tenant) =>
        api.Record(await Admin(tenant).SendAsync(HttpMethod.Delete, $"/v1/tenant/webhooks/{_endpointId}"));

    [Then("the answer shows the endpoint's secret this once")]
    public void ShowsTheSecret()
    {
        Assert.Equal(201, api.RequireLast.Status);
        Assert.StartsWith("whsec_", (string)api.RequireLast.Json["secret"]!);
    }

    [Then("the tenant's webhook endpoints are {string} for {string}, without a secret")]
    public async Task TheEndpointsAre(string url, string events)
    {
        var endpoint = Assert.Single(await EndpointsAsync())!;
        Assert.Equal((url, events), ((string)endpoint["url"]!, string.Join(", ", endpoint["events"]!.AsArray().Select(e => (string)e!))));
        Assert.Null(endpoint["secret"]);
    }

    [Then("the tenant has no webhook endpoints")]
    public async Task NoEndpoints() => Assert.Empty(await EndpointsAsync());
}
