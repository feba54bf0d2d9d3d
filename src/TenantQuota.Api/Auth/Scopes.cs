using System.Security.Claims;
using TenantQuota.Identity.Store;

namespace TenantQuota.Api.Auth;

/// <summary>
/// The contract's scopes, as the bundled identity provider issues them (defined once, in
/// <see cref="ApiScopes"/>); each is also the name of the authorization policy that requires it.
/// </summary>
public static class Scopes
{
    public const string QuotaCheck = ApiScopes.QuotaCheck;
    public const string QuotaConsume = ApiScopes.QuotaConsume;
    public const string TenantAdmin = ApiScopes.TenantAdmin;
    public const string PlatformAdmin = ApiScopes.PlatformAdmin;

    public static readonly string[] All = ApiScopes.All;

    /// <summary>The <c>scope</c> claim is space-separated; some issuers send it as a JSON array instead.</summary>
    public static bool Has(ClaimsPrincipal user, string scope)
    {
        foreach (var claim in user.FindAll("scope"))
            foreach (var granted in claim.Value.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                if (granted == scope) return true;
        return false;
    }
}
