using System.ComponentModel.DataAnnotations;

namespace TenantQuota.Billing;

/// <summary>
/// Stripe__*: validated at start when billing is enabled (Stripe:Enabled, default on when a secret
/// key is configured). The secret key and webhook secret are never logged.
/// </summary>
public sealed class StripeSettings
{
    /// <summary>Billing is off (and no Stripe call is made) unless a secret key is configured.</summary>
    public bool Enabled => !string.IsNullOrEmpty(SecretKey);

    /// <summary>sk_test_… or sk_live_… (or rk_…, a restricted key).</summary>
    [RegularExpression("^(sk|rk)_(test|live)_.+$", ErrorMessage = "Stripe:SecretKey (env Stripe__SecretKey) must be a Stripe secret key: sk_test_…, sk_live_… or rk_…")]
    public string? SecretKey { get; set; }

    /// <summary>The API base, and the meter-events base too (one local Stripe serves both in tests and the demo).</summary>
    [Required]
    [Url(ErrorMessage = "Stripe:BaseUrl (env Stripe__BaseUrl) must be an absolute URL such as https://api.stripe.com")]
    public string BaseUrl { get; set; } = "https://api.stripe.com";

    /// <summary>whsec_…: verifies Stripe-Signature on webhooks.</summary>
    public string? WebhookSecret { get; set; }

    /// <summary>The Stripe-Version to send; default the one Stripe.net pins.</summary>
    public string? ApiVersion { get; set; }

    /// <summary>The version every request is pinned to, and the one webhook events are expected in (docs/decisions/0009).</summary>
    public string PinnedApiVersion => string.IsNullOrEmpty(ApiVersion) ? Stripe.StripeConfiguration.ApiVersion : ApiVersion;

    public override string ToString() => $"Stripe {{ BaseUrl = {BaseUrl}, Enabled = {Enabled}, ApiVersion = {ApiVersion ?? "(Stripe.net's)"} }}";
}
