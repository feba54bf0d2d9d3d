using System.Collections.Immutable;
using System.Security.Claims;
using Microsoft.AspNetCore;
using Microsoft.AspNetCore.Authentication;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Abstractions;
using OpenIddict.Server.AspNetCore;
using TenantQuota.Identity.Store;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace TenantQuota.Identity;

/// <summary>What the token and authorization endpoints share: the scope rule and how a grant becomes a token.</summary>
public static class Grants
{
    /// <summary>
    /// The scopes to grant: everything allowed when none were asked for, exactly what was asked when
    /// all of it is allowed, otherwise null (invalid_scope; nothing is silently dropped).
    /// </summary>
    public static ImmutableArray<string>? Scopes(ImmutableArray<string> requested, IReadOnlyCollection<string> allowed) =>
        requested.IsDefaultOrEmpty ? [.. allowed]
        : requested.All(allowed.Contains) ? requested
        : null;

    /// <summary>An access token for the API: aud tenantquota-api, the scopes, and every claim of the identity.</summary>
    public static IResult SignIn(ClaimsIdentity identity, ImmutableArray<string> scopes)
    {
        identity.SetScopes(scopes);
        identity.SetResources(ApiScopes.Audience);
        // Claims go into the access token, and into the identity token when the dashboard asked for openid.
        identity.SetDestinations(_ => [Destinations.AccessToken, Destinations.IdentityToken]);
        return Results.SignIn(new ClaimsPrincipal(identity), properties: null, OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
    }

    public static ClaimsIdentity NewIdentity(string subject, string? tenantId)
    {
        var identity = new ClaimsIdentity(TokenValidationParameters.DefaultAuthenticationType, Claims.Name, Claims.Role);
        identity.SetClaim(Claims.Subject, subject);
        if (tenantId is not null) identity.SetClaim(ApiScopes.TenantIdClaim, tenantId);
        return identity;
    }

    /// <summary>An OAuth error answer (error and error_description), written by OpenIddict.</summary>
    public static IResult Refuse(string error, string description) =>
        Results.Forbid(new AuthenticationProperties(new Dictionary<string, string?>
        {
            [OpenIddictServerAspNetCoreConstants.Properties.Error] = error,
            [OpenIddictServerAspNetCoreConstants.Properties.ErrorDescription] = description,
        }), [OpenIddictServerAspNetCoreDefaults.AuthenticationScheme]);

    public static OpenIddictRequest Request(HttpContext http) =>
        http.GetOpenIddictServerRequest() ?? throw new InvalidOperationException("OpenIddict did not handle this request.");
}
