using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using OpenIddict.Abstractions;
using OpenIddict.Core;
using TenantQuota.Identity.Store;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace TenantQuota.Identity;

/// <summary>
/// GET /authorize for the dashboard (authorization code + PKCE, checked by OpenIddict). A visitor
/// without a sign-in cookie is sent to the sign-in page and comes back here; a signed-in tenant
/// administrator gets a code at once (the dashboard is first-party, so there is no consent screen).
/// </summary>
public static class AuthorizeEndpoint
{
    public static async Task<IResult> Handle(HttpContext http, OpenIddictApplicationManager<ClientApplication> applications, IdentityDb db, CancellationToken cancellationToken)
    {
        var request = Grants.Request(http);
        var cookie = await http.AuthenticateAsync(CookieAuthenticationDefaults.AuthenticationScheme);
        var user = cookie.Principal?.FindFirst(Claims.Subject)?.Value is { } userId ? await db.Users.FindAsync([userId], cancellationToken) : null;
        if (user is null)
            return Results.Challenge(new AuthenticationProperties { RedirectUri = http.Request.PathBase + http.Request.Path + http.Request.QueryString },
                [CookieAuthenticationDefaults.AuthenticationScheme]);

        var application = await applications.FindByClientIdAsync(request.ClientId!, cancellationToken)
            ?? throw new InvalidOperationException("OpenIddict accepted a client that does not exist.");
        var clientScopes = ApiClients.ScopesOf(await applications.GetPermissionsAsync(application, cancellationToken));
        string[] allowed = [Scopes.OpenId, .. ApiScopes.ForDashboardUsers.Intersect(clientScopes)];
        if (Grants.Scopes(request.GetScopes(), allowed) is not { } scopes)
            return Grants.Refuse(Errors.InvalidScope, $"A dashboard user may ask for: {string.Join(" ", allowed)}.");
        return Grants.SignIn(UserIdentity(user), scopes);
    }

    public static ClaimsIdentity UserIdentity(DashboardUser user)
    {
        var identity = Grants.NewIdentity(user.Id, user.TenantId);
        identity.SetClaim(Claims.Email, user.Email);
        return identity;
    }
}
