using TenantQuota.Features.Runner;
using TenantQuota.Features.Steps;
using TenantQuota.Testing;

namespace TenantQuota.Features;

/// <summary>One API host for all scenarios; each scenario makes tenants of its own.</summary>
public sealed class FeatureHost : IAsyncLifetime
{
    public ApiHost Host { get; } = new();

    public Task InitializeAsync()
    {
        _ = Host.Address;
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await Host.DisposeAsync();
}

/// <summary>Runs every scenario in features/*.feature as its own test case.</summary>
public sealed class FeatureScenarios(FeatureHost fixture) : IClassFixture<FeatureHost>
{
    public static IEnumerable<object[]> Scenarios => ScenarioRunner.AllScenarios(ScenarioRunner.FindFeaturesDirectory());

    [Theory]
    [MemberData(nameof(Scenarios))]
    public Task Scenario(string feature, string scenario) =>
        new ScenarioRunner().RunAsync(feature, scenario, container => container.Register(new ScenarioApi(fixture.Host)));
}
