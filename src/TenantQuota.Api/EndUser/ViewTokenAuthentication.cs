using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using TenantQuota.Api.Errors;
using TenantQuota.Data.EndUser;
using TenantQuota.Identity.Store;

namespace TenantQuota.Api.EndUser;

/// <summary>
/// The "ViewToken" scheme: <c>Authorization: Bearer tqv_…</c>, looked up in view_tokens. Its principal
/// carries the tenant, the one subject it may read (<see cref="SubjectClaim"/>) and the scope
/// <see cref="Scope"/>, which no other endpoint accepts; a view token sent to any other endpoint is
/// not a JWT and gets a 401 there. The holder is kept for the CORS policy of the same request.
/// </summary>
public sealed class ViewTokenAuthentication(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder,
    ViewTokens tokens, TimeProvider clock) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ViewToken";
    public const string Scope = "quota.view";
    public const string SubjectClaim = "tq_subject";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var (token, holder) = await FindHolderAsync(Context, tokens, clock);
        if (token is null) return AuthenticateResult.NoResult();
        if (holder is null) return AuthenticateResult.Fail("The view token is unknown or has expired.");
        var identity = new ClaimsIdentity(
            [new Claim(ApiScopes.TenantIdClaim, holder.TenantId), new Claim(SubjectClaim, holder.SubjectId), new Claim("scope", Scope)], SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        // Where a back end's token is accepted too (POST /v1/ux-events) the JWT scheme has answered already.
        if (Response.HasStarted) return Task.CompletedTask;
        Response.Headers.WWWAuthenticate = "Bearer error=\"invalid_token\"";
        return ProblemJson.WriteAsync(Context, ProblemJson.Problem(401, ProblemTypes.Unauthorized, "Unauthorized.",
            "Send a view token: Authorization: Bearer tqv_… (POST /v1/subjects/{subjectId}/view-tokens makes one; it lives at most 15 minutes)."));
    }

    /// <summary>The request's view token and its holder (null when unknown or expired), looked up once per request.</summary>
    public static async Task<(string? Token, ViewTokenHolder? Holder)> FindHolderAsync(HttpContext http, ViewTokens tokens, TimeProvider clock)
    {
        if (http.Items.TryGetValue(typeof(ViewTokenHolder), out var found)) return ((string?, ViewTokenHolder?))found!;
        var header = http.Request.Headers.Authorization.ToString();
        var token = header.StartsWith("Bearer " + ViewTokens.Prefix, StringComparison.Ordinal) ? header["Bearer ".Length..].Trim() : null;
        var result = (token, token is null ? null : await tokens.FindAsync(token, clock.GetUtcNow(), http.RequestAborted));
        http.Items[typeof(ViewTokenHolder)] = result;
        return result;
    }
}
