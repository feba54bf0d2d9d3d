namespace TenantQuota.Client;

/// <summary>Where TenantQuota and its issuer are, and the back end's client credentials.</summary>
public sealed class TenantQuotaClientOptions
{
    /// <summary>The API, e.g. https://quota.example.</summary>
    public required Uri BaseAddress { get; init; }

    /// <summary>The OIDC issuer whose discovery document names the token endpoint, e.g. https://login.example/.</summary>
    public required Uri Issuer { get; init; }

    public required string ClientId { get; init; }
    public required string ClientSecret { get; init; }

    /// <summary>Scopes to ask for (space-separated); none: all the client has.</summary>
    public string? Scope { get; init; }

    /// <summary>A token is replaced this long before it expires, so none is sent in its last seconds.</summary>
    public TimeSpan RefreshBefore { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Tries per call, the first included, on 429, 503 and network errors (never on another 4xx).</summary>
    public int MaxAttempts { get; init; } = 4;

    /// <summary>The first wait between tries; each later one doubles, with full jitter, unless the answer's Retry-After says how long.</summary>
    public TimeSpan RetryBaseDelay { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>The longest wait between tries, Retry-After included: past it the call fails rather than stall its caller.</summary>
    public TimeSpan MaxRetryDelay { get; init; } = TimeSpan.FromSeconds(5);
}

/// <summary>TenantQuota or its issuer answered something a caller cannot act on (not a denial: a denial is an answer).</summary>
public sealed class TenantQuotaException(string message, int? status = null) : Exception(message)
{
    /// <summary>The HTTP status TenantQuota answered, if it answered.</summary>
    public int? Status { get; } = status;
}
