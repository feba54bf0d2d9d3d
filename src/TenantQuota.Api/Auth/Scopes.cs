using System.Security.Claims;

namespace TenantQuota.Api.Auth;

/// <summary>The contract's scopes; each is also the name of the authorization policy that requires it.</summary>
public static class Scopes
{
    public const string QuotaCheck = "quota.check";
    public const string QuotaConsume = "quota.consume";
    public const string TenantAdmin = "tenant.admin";
    public const string PlatformAdmin = "platform.admin";

    public static readonly string[] All = [QuotaCheck, QuotaConsume, TenantAdmin, PlatformAdmin];

    /// <summary>The <c>scope</c> claim is space-separated; some issuers send it as a JSON array instead.</summary>
    public static bool Has(ClaimsPrincipal user, string scope)
    {
        foreach (var claim in user.FindAll("scope"))
            foreach (var granted in claim.Value.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                if (granted == scope) return true;
        return false;
    }
}
