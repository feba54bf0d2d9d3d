using System.Security.Claims;
using System.Security.Cryptography;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace TenantQuota.Testing;

/// <summary>
/// Mints real RS256 access tokens, shaped like the bundled provider's, so every test request runs
/// through the API's real JwtBearer validation. The API host trusts this issuer's key through a
/// static OIDC configuration instead of fetching discovery over HTTP.
/// </summary>
public static class TestTokens
{
    public const string Issuer = "https://issuer.tenantquota.test";
    public const string Audience = "tenantquota-api";

    private static readonly RsaSecurityKey SigningKey = new(RSA.Create(2048)) { KeyId = "test-key" };
    private static readonly JsonWebTokenHandler Handler = new();

    public static OpenIdConnectConfiguration OpenIdConfiguration { get; } = CreateConfiguration();

    /// <summary>A token for a tenant's back end with the given scopes.</summary>
    public static string For(string? tenantId, params string[] scopes) => Mint(new TokenSpec(tenantId, scopes));

    public static string Mint(TokenSpec spec)
    {
        var claims = new Dictionary<string, object>
        {
            ["scope"] = spec.ScopeAsArray ? spec.Scopes : string.Join(' ', spec.Scopes),
            ["client_id"] = spec.Subject,
        };
        if (spec.TenantId is not null) claims["tenant_id"] = spec.TenantId;
        var now = DateTime.UtcNow;
        return Handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = spec.Issuer,
            Audience = spec.Audience,
            Subject = new ClaimsIdentity([new Claim("sub", spec.Subject)]),
            Claims = claims,
            IssuedAt = now + spec.Shift,
            NotBefore = now + spec.Shift,
            Expires = now + spec.Shift + spec.Lifetime,
            TokenType = spec.TokenType,
            SigningCredentials = new SigningCredentials(spec.Key ?? SigningKey, SecurityAlgorithms.RsaSha256),
        });
    }

    /// <summary>A token to vary one property at a time in authentication tests.</summary>
    public sealed record TokenSpec(string? TenantId, string[] Scopes)
    {
        public string Issuer { get; init; } = TestTokens.Issuer;
        public string Audience { get; init; } = TestTokens.Audience;
        public string Subject { get; init; } = "test-client";
        public string TokenType { get; init; } = "at+jwt";
        public TimeSpan Shift { get; init; } = TimeSpan.Zero;
        public TimeSpan Lifetime { get; init; } = TimeSpan.FromMinutes(30);
        public SecurityKey? Key { get; init; }
        /// <summary>Some issuers send scope as a JSON array rather than a space-separated string.</summary>
        public bool ScopeAsArray { get; init; }
    }

    private static OpenIdConnectConfiguration CreateConfiguration()
    {
        var configuration = new OpenIdConnectConfiguration { Issuer = Issuer };
        configuration.SigningKeys.Add(SigningKey);
        return configuration;
    }
}
