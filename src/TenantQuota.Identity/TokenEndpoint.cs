using Microsoft.AspNetCore.Authentication;
using OpenIddict.Abstractions;
using OpenIddict.Core;
using OpenIddict.Server.AspNetCore;
using TenantQuota.Identity.Store;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace TenantQuota.Identity;

/// <summary>
/// POST /token. OpenIddict has already authenticated the client (client_secret_basic or _post) or
/// checked the code, redirect URI and PKCE verifier; this decides what the token says.
/// </summary>
public static class TokenEndpoint
{
    public static async Task<IResult> Handle(HttpContext http, OpenIddictApplicationManager<ClientApplication> applications, IdentityDb db, CancellationToken cancellationToken)
    {
        var request = Grants.Request(http);
        if (request.IsClientCredentialsGrantType()) return await ClientCredentials(request, applications, cancellationToken);
        if (request.IsAuthorizationCodeGrantType()) return await AuthorizationCode(http, db, cancellationToken);
        return Grants.Refuse(Errors.UnsupportedGrantType, "Use client_credentials or authorization_code.");
    }

    /// <summary>A back end's token: its own scopes (all of them when none are asked for) and its tenant.</summary>
    private static async Task<IResult> ClientCredentials(OpenIddictRequest request, OpenIddictApplicationManager<ClientApplication> applications, CancellationToken cancellationToken)
    {
        var application = await applications.FindByClientIdAsync(request.ClientId!, cancellationToken)
            ?? throw new InvalidOperationException("OpenIddict authenticated a client that does not exist.");
        var allowed = ApiClients.ScopesOf(await applications.GetPermissionsAsync(application, cancellationToken));
        if (Grants.Scopes(request.GetScopes(), allowed) is not { } scopes)
            return Grants.Refuse(Errors.InvalidScope, $"This client may ask for: {string.Join(" ", allowed)}.");
        return Grants.SignIn(Grants.NewIdentity(request.ClientId!, application.TenantId), scopes);
    }

    /// <summary>The dashboard redeems a code: the token is rebuilt from the user as stored now.</summary>
    private static async Task<IResult> AuthorizationCode(HttpContext http, IdentityDb db, CancellationToken cancellationToken)
    {
        var code = await http.AuthenticateAsync(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
        var user = code.Principal?.GetClaim(Claims.Subject) is { } userId ? await db.Users.FindAsync([userId], cancellationToken) : null;
        if (user is null) return Grants.Refuse(Errors.InvalidGrant, "The user of this code no longer exists.");
        return Grants.SignIn(AuthorizeEndpoint.UserIdentity(user), code.Principal!.GetScopes());
    }
}
