using Reqnroll;
using TenantQuota.Testing;

namespace TenantQuota.Features.Steps;

/// <summary>Tenants: the ones a scenario starts with, and what the platform operator does to them.</summary>
[Binding]
public sealed class TenantSteps(ScenarioApi api)
{
    [Given("a tenant on the {word} tier")]
    public async Task ATenant(string tier) => api.Tenant = await api.Host.CreateTenantAsync(tier);

    [Given("a tenant on the {word} tier in time zone {string}")]
    public async Task ATenantInZone(string tier, string zone) => api.Tenant = await api.Host.CreateTenantAsync(tier, zone);

    [Given("another tenant on the {word} tier")]
    public async Task AnotherTenant(string tier) => api.OtherTenant = await api.Host.CreateTenantAsync(tier);

    [When("the platform operator moves the tenant to the {word} tier")]
    public async Task MovesTenant(string tier)
    {
        var answer = await api.PlatformAdmin().SendAsync(HttpMethod.Put, $"/v1/tenants/{api.RequireTenant}/tier", new { tier });
        Assert.Equal(200, answer.Status);
    }

    [When("the platform operator creates a tenant with tier {string} and time zone {string}")]
    public async Task CreatesTenant(string tier, string timeZone) =>
        api.Record(await api.PlatformAdmin().SendAsync(HttpMethod.Post, "/v1/tenants",
            new { id = $"f-{Guid.NewGuid():N}"[..16], name = "Feature tenant", tier, timeZone }));

    [When("the platform operator gives the tenant {long} {string} a day with a soft limit of {long}")]
    public async Task GivesADeal(long hardLimit, string operationClass, long softLimit) =>
        Assert.Equal(200, (await SetOverridesAsync(new Dictionary<string, object> { [operationClass] = new { hardLimit, softLimit } })).Status);

    [When("the platform operator lets the tenant go past its {string} limit as billed overage")]
    public async Task GivesOverage(string operationClass) =>
        Assert.Equal(200, (await SetOverridesAsync(new Dictionary<string, object> { [operationClass] = new { overQuota = "overage" } })).Status);

    [When("the platform operator tries to give the tenant {long} {string} a day")]
    public async Task TriesADeal(long hardLimit, string operationClass) =>
        api.Record(await SetOverridesAsync(new Dictionary<string, object> { [operationClass] = new { hardLimit } }));

    private Task<ApiAnswer> SetOverridesAsync(Dictionary<string, object> overrides) =>
        api.PlatformAdmin().SendAsync(HttpMethod.Put, $"/v1/tenants/{api.RequireTenant}/overrides", overrides);
}
