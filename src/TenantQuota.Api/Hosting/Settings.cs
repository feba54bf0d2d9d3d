using System.ComponentModel.DataAnnotations;
using TenantQuota.Domain;
using TenantQuota.Domain.Budgets;

namespace TenantQuota.Api.Hosting;

/// <summary>Auth__*: the OIDC issuer this resource server trusts.</summary>
public sealed class AuthSettings
{
    /// <summary>The issuer's base URL; its discovery document and JWKS are fetched from here.</summary>
    [Required(ErrorMessage = "Auth:Authority (env Auth__Authority) is required: the OIDC issuer URL, e.g. http://127.0.0.1:5001")]
    public string? Authority { get; set; }

    [Required(ErrorMessage = "Auth:Audience (env Auth__Audience) is required")]
    public string Audience { get; set; } = "tenantquota-api";

    /// <summary>Off only for the loopback development issuer, which speaks plain HTTP.</summary>
    public bool RequireHttpsMetadata { get; set; } = true;

    /// <summary>
    /// How many validated access tokens each process remembers (0: validate every request in full). A hit
    /// skips the signature check only while the token is unexpired and the issuer's keys are the ones it was
    /// checked with (docs/decisions/0015-validated-token-cache.md).
    /// </summary>
    [Range(0, 1_000_000)]
    public int ValidatedTokenCacheSize { get; set; } = 10_000;
}

/// <summary>Quota__*: where the matrix and the copy templates live.</summary>
public sealed class QuotaSettings
{
    [Required(ErrorMessage = "Quota:MatrixPath (env Quota__MatrixPath) is required")]
    public string MatrixPath { get; set; } = "config/quota-matrix.yaml";

    /// <summary>The model price table that dollar budgets are charged from (docs/decisions/0012-money.md).</summary>
    [Required(ErrorMessage = "Quota:PricesPath (env Quota__PricesPath) is required")]
    public string PricesPath { get; set; } = "config/prices.yaml";

    [Required(ErrorMessage = "Quota:TemplatesPath (env Quota__TemplatesPath) is required")]
    public string TemplatesPath { get; set; } = "templates";

    /// <summary>Where the copy's upgrade button sends end users.</summary>
    [Required(ErrorMessage = "Quota:UpgradeUrl (env Quota__UpgradeUrl) is required")]
    public string UpgradeUrl { get; set; } = "https://app.tenantquota.dev/upgrade";

    /// <summary>The nudge starts at this share of the hard limit (Quota__NudgeAt).</summary>
    [Range(0.01, 0.99, ErrorMessage = "Quota:NudgeAt (env Quota__NudgeAt) must be a share of the hard limit between 0.01 and 0.99")]
    public double NudgeAt { get; set; } = StageThresholds.Default.NudgeAt;

    /// <summary>The final warning starts at this share of the hard limit (Quota__FinalWarningAt), after the nudge.</summary>
    [Range(0.01, 0.99, ErrorMessage = "Quota:FinalWarningAt (env Quota__FinalWarningAt) must be a share of the hard limit between 0.01 and 0.99")]
    public double FinalWarningAt { get; set; } = StageThresholds.Default.FinalWarningAt;

    public StageThresholds Thresholds => new(NudgeAt, FinalWarningAt);

    /// <summary>
    /// The share of the tenant budget that low-, normal- and high-priority departments may use before they
    /// meet its over-quota action (Quota__LowPriorityShare, …; docs/decisions/0013).
    /// </summary>
    [Range(0.01, 1.0, ErrorMessage = "Quota:LowPriorityShare (env Quota__LowPriorityShare) must be a share between 0.01 and 1")]
    public decimal LowPriorityShare { get; set; } = PriorityShares.Default.Low;

    [Range(0.01, 1.0, ErrorMessage = "Quota:NormalPriorityShare (env Quota__NormalPriorityShare) must be a share between 0.01 and 1")]
    public decimal NormalPriorityShare { get; set; } = PriorityShares.Default.Normal;

    [Range(0.01, 1.0, ErrorMessage = "Quota:HighPriorityShare (env Quota__HighPriorityShare) must be a share between 0.01 and 1")]
    public decimal HighPriorityShare { get; set; } = PriorityShares.Default.High;

    public PriorityShares PriorityShares => new(LowPriorityShare, NormalPriorityShare, HighPriorityShare);

    /// <summary>
    /// How often each API process frees the holds of expired reservations (Quota__ReservationSweepSeconds); 0 turns
    /// this process's sweep off (tests whose clocks are moved by hand, or when another process sweeps).
    /// </summary>
    [Range(0, 3600, ErrorMessage = "Quota:ReservationSweepSeconds (env Quota__ReservationSweepSeconds) must be from 0 (off) to 3600 seconds")]
    public double ReservationSweepSeconds { get; set; } = 1;
}
