using Microsoft.EntityFrameworkCore;
using TenantQuota.Api.Auth;
using TenantQuota.Api.Errors;
using TenantQuota.Data;

namespace TenantQuota.Api.Billing;

/// <summary>Checks the tenant-admin billing endpoints share.</summary>
internal static class BillingInput
{
    public const int MaxUrlLength = 2048;

    /// <summary>Stripe sends the customer back to these: absolute http or https URLs with a host, nothing else.</summary>
    public static string? UrlError(string field, string? value) =>
        value is { Length: > 0 and <= MaxUrlLength }
        && Uri.TryCreate(value, UriKind.Absolute, out var uri)
        && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp)
        && uri.Host.Length > 0
        && !value.Any(char.IsControl)
            ? null
            : $"{field} is required: an absolute http or https URL of at most {MaxUrlLength} characters, such as https://app.example/billing.";

    /// <summary>As everywhere else: a token for a tenant the platform never created acts for nothing (403).</summary>
    public static async Task<Tenant> RequireTenantAsync(TenantQuotaDb db, TenantContext caller, CancellationToken cancellationToken) =>
        await db.Tenants.AsNoTracking().FirstOrDefaultAsync(t => t.Id == caller.TenantId, cancellationToken)
        ?? throw new TenantAccessException(ProblemTypes.TenantNotProvisioned, $"Tenant '{caller.TenantId}' named by the access token is not provisioned here.");
}
