using System.ComponentModel.DataAnnotations;

namespace TenantQuota.Identity;

/// <summary>Identity__*: the identity host's settings (README.md beside this file has the table).</summary>
public sealed class IdentitySettings
{
    /// <summary>The <c>iss</c> of every token and the base of the discovery document; unset, the request's own address.</summary>
    public string? Issuer { get; set; }

    /// <summary>Folder of the signing-*.pfx and encryption-*.pfx certificates; never inside the repository.</summary>
    [Required(ErrorMessage = "Identity:KeysPath (env Identity__KeysPath) is required: the folder holding the signing and encryption certificates")]
    public string KeysPath { get; set; } = "/var/tmp/tenantquota/identity-keys";

    /// <summary>Password of the PFX files in <see cref="KeysPath"/> (also used for the ones the host generates).</summary>
    public string? KeysPassword { get; set; }

    /// <summary>Create a certificate when the folder holds no valid one. Turn off in production so a missing mount stops the start.</summary>
    public bool GenerateKeys { get; set; } = true;

    /// <summary>Take the signing certificate from the X.509 store (CurrentUser/My) instead of the folder.</summary>
    public string? SigningCertificateThumbprint { get; set; }

    /// <summary>Take the encryption certificate from the X.509 store (CurrentUser/My) instead of the folder.</summary>
    public string? EncryptionCertificateThumbprint { get; set; }

    /// <summary>
    /// How long an access token lives. Tokens are self-contained JWTs the API checks offline, so this is
    /// also how long a revoked client's last token can still be used.
    /// </summary>
    [Range(typeof(TimeSpan), "00:01:00", "01:00:00", ErrorMessage = "Identity:AccessTokenLifetime (env Identity__AccessTokenLifetime) must be between 00:01:00 and 01:00:00")]
    public TimeSpan AccessTokenLifetime { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>False only for the plain-HTTP loopback development stack.</summary>
    public bool RequireHttps { get; set; } = true;

    /// <summary>A JSON file of clients and dashboard users to create or update at start (demo-seed.json for the demo stack).</summary>
    public string? SeedFile { get; set; }

    /// <summary>Sign-in form posts allowed per minute from one address; more get 429 (password guessing).</summary>
    [Range(1, 10_000, ErrorMessage = "Identity:SignInAttemptsPerMinute (env Identity__SignInAttemptsPerMinute) must be between 1 and 10000")]
    public int SignInAttemptsPerMinute { get; set; } = 10;

    public DashboardSettings Dashboard { get; set; } = new();
}

/// <summary>Identity__Dashboard__*: the public client of the tenant admin dashboard (authorization code + PKCE).</summary>
public sealed class DashboardSettings
{
    [Required(ErrorMessage = "Identity:Dashboard:ClientId (env Identity__Dashboard__ClientId) is required")]
    public string ClientId { get; set; } = "tenantquota-dashboard";

    /// <summary>Where the dashboard may receive the code (defaults in appsettings.json).</summary>
    public string[] RedirectUris { get; set; } = [];
}
