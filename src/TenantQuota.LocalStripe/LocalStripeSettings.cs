using System.ComponentModel.DataAnnotations;

namespace TenantQuota.LocalStripe;

/// <summary>LocalStripe:* (env <c>LocalStripe__*</c>), validated at start.</summary>
public sealed class LocalStripeSettings : IValidatableObject
{
    /// <summary>The development default; the API's Stripe__WebhookSecret must hold the same value.</summary>
    public const string DefaultWebhookSecret = "whsec_localstripe_development_only";

    /// <summary>
    /// Where events are POSTed, e.g. http://127.0.0.1:5080/v1/billing/stripe/webhook. Several are separated
    /// by ';'. Empty: events are recorded (GET /v1/events, GET /_webhooks) but sent nowhere.
    /// </summary>
    public string? WebhookUrl { get; set; }

    /// <summary>whsec_…; several separated by ',' sign each event once per secret (one v1 each), as Stripe does while a secret rolls.</summary>
    public string WebhookSecret { get; set; } = DefaultWebhookSecret;

    /// <summary>Accepted API keys, separated by ','. Empty: any key that starts with sk_test_ or rk_test_.</summary>
    public string? SecretKey { get; set; }

    /// <summary>The api_version of webhook events; default the version Stripe.net pins (StripeConfiguration.ApiVersion).</summary>
    public string? ApiVersion { get; set; }

    /// <summary>
    /// The base of the hosted checkout and portal URLs a browser opens, e.g. http://localhost:12111 when the API
    /// reaches LocalStripe by another name (http://localstripe:12111 in compose). Default: the address the
    /// request that created the session came to.
    /// </summary>
    public string? PublicUrl { get; set; }

    /// <summary>Attempts per webhook delivery (the first included); a delivery fails on a network error, a timeout or a non-2xx answer.</summary>
    [Range(1, 20)]
    public int WebhookMaxAttempts { get; set; } = 5;

    /// <summary>The wait before the second attempt; it doubles for each later one (1 s, 2 s, 4 s, 8 s by default).</summary>
    public TimeSpan WebhookRetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long an endpoint may take to answer a delivery.</summary>
    public TimeSpan WebhookTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Meter event identifiers are unique within this rolling window (Stripe: "at least 24 hours").</summary>
    public TimeSpan MeterEventDedupeWindow { get; set; } = TimeSpan.FromHours(24);

    public IReadOnlyList<string> WebhookSecrets =>
        WebhookSecret.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public IReadOnlyList<string> WebhookUrls =>
        (WebhookUrl ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public IReadOnlyList<string> SecretKeys =>
        (SecretKey ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (WebhookSecrets.Count == 0 || WebhookSecrets.Any(s => !s.StartsWith("whsec_", StringComparison.Ordinal)))
            yield return new("LocalStripe:WebhookSecret (env LocalStripe__WebhookSecret) must be one or more whsec_… secrets separated by ','.", [nameof(WebhookSecret)]);
        foreach (var url in WebhookUrls.Where(u => !IsHttpUrl(u)))
            yield return new($"LocalStripe:WebhookUrl (env LocalStripe__WebhookUrl) must hold absolute http(s) URLs separated by ';': '{url}' is not one.", [nameof(WebhookUrl)]);
        foreach (var key in SecretKeys.Where(k => !k.StartsWith("sk_test_", StringComparison.Ordinal) && !k.StartsWith("rk_test_", StringComparison.Ordinal)))
            yield return new($"LocalStripe:SecretKey (env LocalStripe__SecretKey) accepts test keys only (sk_test_… or rk_test_…), not '{key[..Math.Min(8, key.Length)]}…'.", [nameof(SecretKey)]);
        if (PublicUrl is { Length: > 0 } && !IsHttpUrl(PublicUrl))
            yield return new("LocalStripe:PublicUrl (env LocalStripe__PublicUrl) must be an absolute http(s) URL such as http://localhost:12111.", [nameof(PublicUrl)]);
        if (WebhookRetryDelay < TimeSpan.Zero || WebhookTimeout <= TimeSpan.Zero || MeterEventDedupeWindow < TimeSpan.FromHours(24))
            yield return new("LocalStripe:WebhookRetryDelay must be ≥ 0, WebhookTimeout > 0 and MeterEventDedupeWindow ≥ 24:00:00 (Stripe's minimum).", [nameof(WebhookRetryDelay)]);
    }

    private static bool IsHttpUrl(string text) =>
        Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https";
}
