using System.Collections.Concurrent;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using TenantQuota.Api.Hosting;

namespace TenantQuota.Api.Auth;

/// <summary>
/// JWT validation that remembers the tokens it accepted. A back end sends one access token for its whole
/// lifetime, and checking its RSA signature is most of what a check costs (docs/performance.md), so a token
/// accepted before is accepted again without the signature check while both of these still hold:
/// <list type="bullet">
/// <item>it has not expired (exp plus the clock skew the full validation allows; <paramref name="clock"/> is the
/// system clock, which IdentityModel's own lifetime check reads);</item>
/// <item>the issuer's configuration (its JWKS) is the very object the token was checked against: a refresh of
/// the keys, after a rotation or a revocation, forgets every token, and each is checked in full again.</item>
/// </list>
/// Any other token string, a tampered one included, is another entry, validated in full. The memory is
/// bounded; when it is full the expired entries go, and if that is not enough, all of them.
/// docs/decisions/0015-validated-token-cache.md
/// </summary>
public sealed class CachingJsonWebTokenHandler(int capacity, TimeProvider clock, ApiMetrics? metrics = null) : JsonWebTokenHandler
{
    private readonly ConcurrentDictionary<string, Accepted> _accepted = new(StringComparer.Ordinal);
    private int _count;

    public override async Task<TokenValidationResult> ValidateTokenAsync(string token, TokenValidationParameters validationParameters)
    {
        // Without an issuer configuration there is no key set whose change could be noticed: no memory.
        if (capacity == 0 || validationParameters.ConfigurationManager is not { } issuer)
            return await base.ValidateTokenAsync(token, validationParameters);

        var configuration = await issuer.GetBaseConfigurationAsync(CancellationToken.None);
        var now = clock.GetUtcNow().UtcDateTime;
        if (_accepted.TryGetValue(token, out var known))
        {
            if (ReferenceEquals(known.Configuration, configuration) && now <= known.Until)
            {
                metrics?.TokenLookup(hit: true);
                return known.Again();
            }
            Forget(token, known);
        }
        metrics?.TokenLookup(hit: false);

        var result = await base.ValidateTokenAsync(token, validationParameters);
        // Remembered against the configuration read before the validation: if the keys were refreshed in
        // between, the entry is already out of date and the next request validates in full.
        if (result.IsValid) Remember(token, new Accepted(result, configuration, result.SecurityToken.ValidTo + validationParameters.ClockSkew), now);
        return result;
    }

    private void Remember(string token, Accepted accepted, DateTime now)
    {
        if (Volatile.Read(ref _count) >= capacity)
        {
            foreach (var (key, entry) in _accepted)
                if (entry.Until < now) Forget(key, entry);
            if (Volatile.Read(ref _count) >= capacity)
            {
                _accepted.Clear();
                Volatile.Write(ref _count, 0);
            }
        }
        if (_accepted.TryAdd(token, accepted)) Interlocked.Increment(ref _count);
    }

    private void Forget(string token, Accepted entry)
    {
        if (_accepted.TryRemove(new KeyValuePair<string, Accepted>(token, entry))) Interlocked.Decrement(ref _count);
    }

    private sealed record Accepted(TokenValidationResult Result, BaseConfiguration Configuration, DateTime Until)
    {
        /// <summary>A result of its own for each request: the identity is copied, so nothing one request adds to it leaks into another.</summary>
        public TokenValidationResult Again() => new()
        {
            IsValid = true,
            ClaimsIdentity = Result.ClaimsIdentity.Clone(),
            SecurityToken = Result.SecurityToken,
            Issuer = Result.Issuer,
            TokenType = Result.TokenType,
        };
    }
}
