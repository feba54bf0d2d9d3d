using System.Net;
using TenantQuota.Testing;

namespace TenantQuota.Api.Tests.Identity;

/// <summary>The sign-in form takes only so many attempts a minute from one address: password guessing gets 429.</summary>
public sealed class SignInThrottlingTests : IAsyncLifetime
{
    private readonly DirectoryInfo _keys = Directory.CreateTempSubdirectory("tq-identity-keys-");
    private IdentityServerHost _identity = null!;

    public Task InitializeAsync()
    {
        _identity = new IdentityServerHost(_keys.FullName, IdentityServerHost.FreePort(),
            settings: new() { ["Identity:SignInAttemptsPerMinute"] = "2" });
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _identity.DisposeAsync();
        _keys.Delete(recursive: true);
    }

    [Fact]
    public async Task Answers_429_once_an_address_has_used_its_sign_in_attempts_for_the_minute()
    {
        using var browser = new HttpClient { BaseAddress = _identity.Address };
        var guess = () => browser.PostAsync("/account/login", new FormUrlEncodedContent(
            new Dictionary<string, string> { ["email"] = "acme-admin@example.com", ["password"] = "guess" }));

        var first = await guess();
        var second = await guess();
        var third = await guess();

        Assert.NotEqual(HttpStatusCode.TooManyRequests, first.StatusCode);
        Assert.NotEqual(HttpStatusCode.TooManyRequests, second.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, third.StatusCode);
    }
}
