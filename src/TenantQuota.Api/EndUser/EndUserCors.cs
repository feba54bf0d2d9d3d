using Microsoft.AspNetCore.Cors.Infrastructure;
using TenantQuota.Data.EndUser;

namespace TenantQuota.Api.EndUser;

/// <summary>
/// CORS for the endpoints an end user's browser calls (the meter's usage read and its UX events). A
/// request with a view token may come from its tenant's allowed origins only. A preflight carries no
/// token, so it is allowed from any origin some tenant allows; the request that follows is then held
/// to its own tenant's list. Everything else in the API is server to server and sends no CORS headers.
/// </summary>
public sealed class EndUserCors(TenantOrigins origins, ViewTokens tokens, TimeProvider clock) : ICorsPolicyProvider
{
    public const string Policy = "end-user";

    public async Task<CorsPolicy?> GetPolicyAsync(HttpContext context, string? policyName)
    {
        if (policyName != Policy || context.Request.Headers.Origin.ToString() is not { Length: > 0 } origin) return null;
        var allowed = HttpMethods.IsOptions(context.Request.Method)
            ? await origins.AnyTenantAllowsAsync(origin, context.RequestAborted)
            : (await ViewTokenAuthentication.FindHolderAsync(context, tokens, clock)).Holder?.AllowedOrigins.Contains(origin, StringComparer.Ordinal) == true;
        var policy = new CorsPolicyBuilder()
            .WithMethods("GET", "POST")
            .WithHeaders("Authorization", "Content-Type", "Accept-Language")
            .SetPreflightMaxAge(TimeSpan.FromMinutes(10));
        // An origin left out gets no Access-Control-Allow-Origin: the browser keeps the answer from the page.
        return (allowed ? policy.WithOrigins(origin) : policy).Build();
    }
}
