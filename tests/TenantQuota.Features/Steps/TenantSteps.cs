using TenantQuota.Features.Runner;
using TenantQuota.Testing;

namespace TenantQuota.Features.Steps;

[Binding]
public sealed class TenantSteps(ScenarioApi api)
{
    [When(@"^the platform operator moves the tenant to the (\w+) tier$")]
    public async Task MovesTenant(string tier)
    {
        var answer = await api.PlatformAdmin().SendAsync(HttpMethod.Put, $"/v1/tenants/{api.RequireTenant}/tier", new { tier });
        Assert.Equal(200, answer.Status);
    }

    [When(@"^the platform operator creates a tenant with tier ""([^""]*)"" and time zone ""([^""]*)""$")]
    public async Task CreatesTenant(string tier, string timeZone) =>
        api.Record(await api.PlatformAdmin().SendAsync(HttpMethod.Post, "/v1/tenants",
            new { id = $"f-{Guid.NewGuid():N}"[..16], name = "Feature tenant", tier, timeZone }));

    [Then(@"^the answer is HTTP (\d+) problem ""([^""]+)""$")]
    public void TheAnswerIsAProblem(int status, string problem)
    {
        var answer = api.RequireLast;
        Assert.Equal(status, answer.Status);
        Assert.Equal("application/problem+json", answer.ContentType);
        Assert.EndsWith("/" + problem, (string)answer.Json["type"]!);
    }

    [Then(@"^the answer is HTTP (\d+) problem ""([^""]+)"" naming ""([^""]+)""$")]
    public void TheAnswerIsAProblemNaming(int status, string problem, string field)
    {
        TheAnswerIsAProblem(status, problem);
        Assert.NotNull(api.RequireLast.Json["errors"]?[field]);
    }
}
