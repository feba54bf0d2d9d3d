namespace TenantQuota.Client;

/// <summary>Where TenantQuota and its issuer are, the back end's client credentials, and what to do when TenantQuota cannot be reached.</summary>
public sealed record TenantQuotaClientOptions
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

    /// <summary>
    /// The longest wait between tries, Retry-After included: past it the call stops trying rather than stall its caller
    /// (TenantQuota asks for 5 s while its database is away, so by default that goes straight to the failure policy).
    /// </summary>
    public TimeSpan MaxRetryDelay { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>How long one try may take, the token request included, before it counts as a network failure.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>What check and consume answer for a class not named in <see cref="FailureModes"/> when TenantQuota cannot be reached.</summary>
    public FailureMode DefaultFailureMode { get; init; } = FailureMode.Closed;

    /// <summary>The failure mode of each operation class that differs from <see cref="DefaultFailureMode"/> (names compared ignoring case, as configuration keys are).</summary>
    public IDictionary<string, FailureMode> FailureModes { get; init; } = new Dictionary<string, FailureMode>(StringComparer.OrdinalIgnoreCase);

    /// <summary>Failed tries in a row (network, timeout, 5xx) after which the circuit opens and calls stop going out.</summary>
    public int BreakAfterFailures { get; init; } = 5;

    /// <summary>How long an open circuit stays open before one call probes.</summary>
    public TimeSpan BreakDuration { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>Consumes a fail-open class may allow during an outage before it denies too: the bound on what an outage can over-grant.</summary>
    public int JournalCapacity { get; init; } = 10_000;

    /// <summary>The same bound for one subject, so one busy person cannot use the whole journal.</summary>
    public int JournalCapacityPerSubject { get; init; } = 100;

    /// <summary>A journaled consume older than this is dropped instead of sent (its window has long moved on).</summary>
    public TimeSpan JournalMaxAge { get; init; } = TimeSpan.FromHours(24);

    /// <summary>A file that keeps the journal across restarts (one per process); none: memory only.</summary>
    public string? JournalPath { get; init; }

    /// <summary>The copy of a denial made because TenantQuota could not be reached (it has no rendered copy of its own).</summary>
    public QuotaMessage UnavailableMessage { get; init; } = new("error", "This feature is briefly unavailable",
        "We can't confirm your plan's allowance right now. Please try again in a minute.", null);

    /// <summary>The failure mode of <paramref name="operationClass"/>.</summary>
    public FailureMode FailureModeOf(string operationClass) =>
        FailureModes.FirstOrDefault(m => string.Equals(m.Key, operationClass, StringComparison.OrdinalIgnoreCase)) is { Key: not null } found ? found.Value : DefaultFailureMode;

    /// <summary>Throws, naming the setting, when one cannot work (the client checks this when it is made).</summary>
    public void Validate()
    {
        static void Require(bool ok, string setting, string rule)
        {
            if (!ok) throw new ArgumentException($"TenantQuota client setting {setting} {rule}.", setting);
        }
        Require(BaseAddress is { IsAbsoluteUri: true }, nameof(BaseAddress), "must be an absolute URL");
        Require(Issuer is { IsAbsoluteUri: true }, nameof(Issuer), "must be an absolute URL");
        Require(!string.IsNullOrEmpty(ClientId) && !string.IsNullOrEmpty(ClientSecret), $"{nameof(ClientId)}/{nameof(ClientSecret)}", "must be set");
        Require(MaxAttempts >= 1, nameof(MaxAttempts), "must be at least 1");
        Require(RequestTimeout > TimeSpan.Zero, nameof(RequestTimeout), "must be positive");
        Require(RetryBaseDelay >= TimeSpan.Zero && MaxRetryDelay >= TimeSpan.Zero, $"{nameof(RetryBaseDelay)}/{nameof(MaxRetryDelay)}", "must not be negative");
        Require(BreakAfterFailures >= 1, nameof(BreakAfterFailures), "must be at least 1");
        Require(BreakDuration > TimeSpan.Zero, nameof(BreakDuration), "must be positive");
        Require(JournalCapacity >= 0 && JournalCapacityPerSubject >= 0, $"{nameof(JournalCapacity)}/{nameof(JournalCapacityPerSubject)}", "must not be negative");
        Require(JournalMaxAge > TimeSpan.Zero, nameof(JournalMaxAge), "must be positive");
    }

    /// <summary>What ToString shows: never the secret (options end up in logs).</summary>
    private bool PrintMembers(System.Text.StringBuilder builder)
    {
        builder.Append($"BaseAddress = {BaseAddress}, Issuer = {Issuer}, ClientId = {ClientId}, DefaultFailureMode = {DefaultFailureMode}");
        return true;
    }
}

/// <summary>What check and consume answer when TenantQuota cannot be reached (docs/failure-policy.md).</summary>
public enum FailureMode
{
    /// <summary>Deny: nothing is used that was not granted.</summary>
    Closed,

    /// <summary>Allow, journal the consume, and send it later with its own key: the user is not stopped by our outage.</summary>
    Open,
}

/// <summary>TenantQuota or its issuer answered something a caller cannot act on (not a denial: a denial is an answer).</summary>
public class TenantQuotaException(string message, int? status = null, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>The HTTP status TenantQuota answered, if it answered.</summary>
    public int? Status { get; } = status;
}

/// <summary>
/// TenantQuota could not be reached, timed out, answered 5xx, or kept answering 429, after every try; or the circuit is
/// open. Check and consume turn this into their failure policy's answer; the other calls throw it.
/// </summary>
public sealed class TenantQuotaUnavailableException(string message, int? status = null, Exception? inner = null) : TenantQuotaException(message, status, inner);
