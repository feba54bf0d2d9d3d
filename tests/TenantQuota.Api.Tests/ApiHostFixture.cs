using TenantQuota.Testing;

namespace TenantQuota.Api.Tests;

/// <summary>One API host per test class; tests isolate themselves through tenants of their own.</summary>
public sealed class ApiHostFixture : IAsyncLifetime
{
    public ApiHost Host { get; } = new();

    public Task InitializeAsync()
    {
        _ = Host.Address; // start Kestrel (and migrate the test database) before the first test
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await Host.DisposeAsync();
}
