using System.Security.Claims;

namespace TenantQuota.Api.Auth;

/// <summary>
/// Who a caller is, as the audit log names them: a person signed in through the dashboard by their email (the token's
/// client_id is then the dashboard's, the same for every admin), otherwise the token's client (RFC 9068 client_id),
/// else its subject.
/// </summary>
public static class Actor
{
    public static string Of(ClaimsPrincipal user) =>
        user.FindFirst("email")?.Value ?? user.FindFirst("client_id")?.Value ?? user.FindFirst("sub")?.Value ?? "unknown";
}
