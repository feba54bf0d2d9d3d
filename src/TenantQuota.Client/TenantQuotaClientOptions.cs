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
}

/// <summary>TenantQuota or its issuer answered something a caller cannot act on (not a denial: a denial is an answer).</summary>
public sealed class TenantQuotaException(string message, int? status = null) : Exception(message)
{
    /// <summary>The HTTP status TenantQuota answered, if it answered.</summary>
    public int? Status { get; } = status;
}
