using System.Security.Claims;
using TenantQuota.Api.Errors;
using TenantQuota.Identity.Store;

namespace TenantQuota.Api.Auth;

/// <summary>
/// The caller's tenant, taken only from the token's <c>tenant_id</c> claim: no endpoint takes a
/// tenant from the body, path or headers. Bound as an endpoint parameter.
/// </summary>
public sealed record TenantContext(string TenantId)
{
    public const string Claim = ApiScopes.TenantIdClaim;

    public static ValueTask<TenantContext> BindAsync(HttpContext http) => ValueTask.FromResult(From(http.User));

    public static TenantContext From(ClaimsPrincipal user) =>
        user.FindFirst(Claim)?.Value is { Length: > 0 } tenantId
            ? new TenantContext(tenantId)
            : throw new TenantAccessException(ProblemTypes.Forbidden, "The access token carries no tenant_id claim, so it cannot act for a tenant.");
}
