using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Serialization;

namespace TenantQuota.Client;

/// <summary>
/// Access tokens by the client-credentials grant at the token endpoint the issuer's discovery document names, kept
/// until <see cref="TenantQuotaClientOptions.RefreshBefore"/> ahead of their expiry. Callers that find the cached
/// token stale together wait for one request to the issuer, not one each.
/// </summary>
public sealed class AccessTokens(HttpClient http, TenantQuotaClientOptions options, TimeProvider? clock = null)
{
    private readonly TimeProvider _clock = clock ?? TimeProvider.System;
    private readonly SemaphoreSlim _refresh = new(1, 1);
    private CachedToken? _current; // a reference, so a reader outside the lock sees a whole token or none
    private Uri? _tokenEndpoint;

    /// <summary>How many tokens this cache has asked the issuer for.</summary>
    public int Issued { get; private set; }

    public async ValueTask<string> GetAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _current) is { } current && _clock.GetUtcNow() < current.RefreshAt) return current.Token;
        await _refresh.WaitAsync(cancellationToken);
        try
        {
            // Whoever waited behind the refresh finds the new token here and asks nobody.
            if (_current is { } fresh && _clock.GetUtcNow() < fresh.RefreshAt) return fresh.Token;
            var answer = await RequestAsync(cancellationToken);
            Issued++;
            Volatile.Write(ref _current, new CachedToken(answer.AccessToken, _clock.GetUtcNow() + TimeSpan.FromSeconds(answer.ExpiresIn) - options.RefreshBefore));
            return answer.AccessToken;
        }
        finally
        {
            _refresh.Release();
        }
    }

    /// <summary>
    /// TenantQuota refused <paramref name="token"/> (401: the issuer's keys rotated, the client was revoked): the next
    /// caller asks the issuer again. A newer token already in the cache stays.
    /// </summary>
    public void Forget(string token)
    {
        if (Volatile.Read(ref _current) is { } current && current.Token == token) Interlocked.CompareExchange(ref _current, null, current);
    }

    private sealed record CachedToken(string Token, DateTimeOffset RefreshAt);

    private async Task<TokenAnswer> RequestAsync(CancellationToken cancellationToken)
    {
        _tokenEndpoint ??= (await http.GetFromJsonAsync<Discovery>(new Uri(options.Issuer.AbsoluteUri.TrimEnd('/') + "/.well-known/openid-configuration"), cancellationToken))?.TokenEndpoint
                           ?? throw new TenantQuotaException($"The issuer {options.Issuer} names no token endpoint in its discovery document.");
        var form = new Dictionary<string, string> { ["grant_type"] = "client_credentials" };
        if (options.Scope is { Length: > 0 } scope) form["scope"] = scope;
        using var request = new HttpRequestMessage(HttpMethod.Post, _tokenEndpoint) { Content = new FormUrlEncodedContent(form) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Uri.EscapeDataString(options.ClientId)}:{Uri.EscapeDataString(options.ClientSecret)}")));
        using var response = await http.SendAsync(request, cancellationToken);
        if ((int)response.StatusCode >= 500)
            throw new TenantQuotaUnavailableException($"The issuer answered {(int)response.StatusCode}.", (int)response.StatusCode);
        if (!response.IsSuccessStatusCode)
            throw new TenantQuotaException($"The issuer refused the client credentials of '{options.ClientId}': {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(cancellationToken)}");
        return await response.Content.ReadFromJsonAsync<TokenAnswer>(cancellationToken)
               ?? throw new TenantQuotaException("The issuer answered no token.");
    }

    private sealed record Discovery([property: JsonPropertyName("token_endpoint")] Uri? TokenEndpoint);

    private sealed record TokenAnswer([property: JsonPropertyName("access_token")] string AccessToken, [property: JsonPropertyName("expires_in")] int ExpiresIn);
}
