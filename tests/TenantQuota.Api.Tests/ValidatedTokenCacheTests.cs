using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;
using TenantQuota.Api.Auth;
using TenantQuota.Testing;

namespace TenantQuota.Api.Tests;

/// <summary>
/// The memory of validated tokens (CachingJsonWebTokenHandler) against the API's own validation
/// parameters: what it remembers is accepted again only while a full validation would accept it too.
/// </summary>
public sealed class ValidatedTokenCacheTests(ApiHostFixture fixture) : IClassFixture<ApiHostFixture>
{
    private readonly SettableClock _clock = new();
    private readonly JwtBearerOptions _api = fixture.Host.Services.GetRequiredService<IOptionsMonitor<JwtBearerOptions>>().Get(JwtBearerDefaults.AuthenticationScheme);

    [Fact]
    public void The_api_validates_tokens_through_the_cache()
    {
        Assert.IsType<CachingJsonWebTokenHandler>(Assert.Single(_api.TokenHandlers));
    }

    [Fact]
    public async Task A_token_seen_before_is_accepted_again_without_a_new_validation()
    {
        var handler = new CachingJsonWebTokenHandler(capacity: 10, _clock);
        var token = TestTokens.For("acme", "quota.check");

        var first = await handler.ValidateTokenAsync(token, Parameters(TestTokens.OpenIdConfiguration));
        var again = await handler.ValidateTokenAsync(token, Parameters(TestTokens.OpenIdConfiguration));

        Assert.True(first.IsValid && again.IsValid);
        Assert.Same(first.SecurityToken, again.SecurityToken); // a full validation parses a new token
        Assert.NotSame(first.ClaimsIdentity, again.ClaimsIdentity);
        Assert.Equal(first.ClaimsIdentity.Claims.Select(c => (c.Type, c.Value)), again.ClaimsIdentity.Claims.Select(c => (c.Type, c.Value)));
    }

    [Fact]
    public async Task A_remembered_token_is_validated_in_full_again_once_it_expires()
    {
        // The memory's clock runs ahead of the real one, which IdentityModel's lifetime check reads: past the
        // token's exp (and skew) the memory must not answer; the full validation does (and refuses a token that
        // has really expired: AuthenticationTests).
        var handler = new CachingJsonWebTokenHandler(capacity: 10, _clock);
        var token = TestTokens.Mint(new TestTokens.TokenSpec("acme", ["quota.check"]) { Lifetime = TimeSpan.FromMinutes(5) });
        _clock.Set(DateTimeOffset.UtcNow); // the token's times are the real clock's at minting (which may have made a key for seconds)
        var first = await handler.ValidateTokenAsync(token, Parameters(TestTokens.OpenIdConfiguration));

        _clock.Advance(TimeSpan.FromMinutes(5) + _api.TokenValidationParameters.ClockSkew - TimeSpan.FromSeconds(5));
        Assert.Same(first.SecurityToken, (await handler.ValidateTokenAsync(token, Parameters(TestTokens.OpenIdConfiguration))).SecurityToken);

        _clock.Advance(TimeSpan.FromSeconds(10));
        var late = await handler.ValidateTokenAsync(token, Parameters(TestTokens.OpenIdConfiguration));
        Assert.NotSame(first.SecurityToken, late.SecurityToken);
    }

    /// <summary>A memory that has accepted one token, and that token.</summary>
    private async Task<(CachingJsonWebTokenHandler Handler, string Token)> RememberedTokenAsync()
    {
        var handler = new CachingJsonWebTokenHandler(capacity: 10, _clock);
        var token = TestTokens.For("acme", "quota.check");
        Assert.True((await handler.ValidateTokenAsync(token, Parameters(TestTokens.OpenIdConfiguration))).IsValid);
        return (handler, token);
    }

    [Fact]
    public async Task A_remembered_token_is_refused_once_the_issuer_stops_publishing_its_key()
    {
        var (handler, token) = await RememberedTokenAsync();

        // What a JWKS refresh after a revocation gives: a new configuration without the key.
        var revoked = new OpenIdConnectConfiguration { Issuer = TestTokens.Issuer };
        var after = await handler.ValidateTokenAsync(token, Parameters(revoked));

        Assert.False(after.IsValid);
        Assert.IsAssignableFrom<SecurityTokenSignatureKeyNotFoundException>(after.Exception);
    }

    [Fact]
    public async Task A_tampered_copy_of_a_remembered_token_is_refused()
    {
        var (handler, token) = await RememberedTokenAsync();

        var parts = token.Split('.');
        var claims = Base64UrlEncoder.Decode(parts[1]).Replace("\"acme\"", "\"evil\"");
        var tampered = $"{parts[0]}.{Base64UrlEncoder.Encode(claims)}.{parts[2]}";

        var answer = await handler.ValidateTokenAsync(tampered, Parameters(TestTokens.OpenIdConfiguration));
        Assert.False(answer.IsValid);
        Assert.IsType<SecurityTokenInvalidSignatureException>(answer.Exception);
    }

    [Fact]
    public async Task A_full_memory_forgets_to_make_room()
    {
        var handler = new CachingJsonWebTokenHandler(capacity: 1, _clock);
        var first = TestTokens.For("acme", "quota.check");
        var firstResult = await handler.ValidateTokenAsync(first, Parameters(TestTokens.OpenIdConfiguration));

        await handler.ValidateTokenAsync(TestTokens.For("acme", "quota.consume"), Parameters(TestTokens.OpenIdConfiguration));
        var firstAgain = await handler.ValidateTokenAsync(first, Parameters(TestTokens.OpenIdConfiguration));

        Assert.True(firstAgain.IsValid);
        Assert.NotSame(firstResult.SecurityToken, firstAgain.SecurityToken);
    }

    /// <summary>The API's parameters, with the issuer configuration a JWKS fetch would give.</summary>
    private TokenValidationParameters Parameters(OpenIdConnectConfiguration issuer)
    {
        var parameters = _api.TokenValidationParameters.Clone();
        parameters.ConfigurationManager = new StaticConfigurationManager<OpenIdConnectConfiguration>(issuer);
        return parameters;
    }
}
