using System.Security.Claims;

namespace TenantQuota.Api.Auth;

/// <summary>Who a caller is, as the audit log names them: the token's client (RFC 9068 client_id), else its subject.</summary>
public static class Actor
{
    public static string Of(ClaimsPrincipal user) =>
        user.FindFirst("client_id")?.Value ?? user.FindFirst("sub")?.Value ?? "unknown";
}
