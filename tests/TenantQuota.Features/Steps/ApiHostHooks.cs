using Reqnroll;
using Reqnroll.BoDi;
using TenantQuota.Testing;

namespace TenantQuota.Features.Steps;

/// <summary>One API host for the whole test run; each scenario makes tenants of its own.</summary>
[Binding]
public sealed class ApiHostHooks
{
    /// <summary>Registered in the test-run container, so every scenario that asks for an <see cref="ApiHost"/> gets this one.</summary>
    [BeforeTestRun]
    public static void ShareOneApiHost(IObjectContainer testRunContainer) => testRunContainer.RegisterInstanceAs(new ApiHost());

    [AfterTestRun]
    public static async Task StopTheApiHost(ApiHost host) => await host.DisposeAsync();
}
