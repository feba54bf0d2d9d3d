using TenantQuota.Testing;

namespace TenantQuota.Api.Tests.Identity;

/// <summary>
/// The identity host and an API that trusts it through discovery and JWKS over HTTP, as
/// scripts/start.sh runs them. The demo tenants the seeded clients belong to are created through the API.
/// </summary>
public sealed class IdentityStackFixture : IAsyncLifetime
{
    private readonly DirectoryInfo _keys = Directory.CreateTempSubdirectory("tq-identity-keys-");

    public IdentityServerHost Identity { get; private set; } = null!;
    public ApiHost Api { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Identity = new IdentityServerHost(_keys.FullName);
        Api = new ApiHost(new Dictionary<string, string?> { ["Auth:Authority"] = Identity.Issuer }, trustTestTokens: false);
        var platformAdmin = await Identity.TokenAsync("platform-admin", "platform-admin-secret");
        await Api.CreateTenantAsyncAs(platformAdmin, "acme", "free");
        await Api.CreateTenantAsyncAs(platformAdmin, "umbrella", "enterprise");
    }

    public async Task DisposeAsync()
    {
        await Api.DisposeAsync();
        await Identity.DisposeAsync();
        _keys.Delete(recursive: true);
    }
}
