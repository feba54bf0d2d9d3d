using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using TenantQuota.Identity.Store;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace TenantQuota.Identity;

/// <summary>
/// /account/login: a plain server-rendered form for dashboard users. The POST is bound from the form,
/// so ASP.NET Core's antiforgery middleware refuses it (400) without the token the GET handed out.
/// </summary>
public static class SignInPage
{
    public const string Path = "/account/login";

    public static IResult Show(HttpContext http, IAntiforgery antiforgery, string? returnUrl) =>
        Page(http, antiforgery, returnUrl, email: null, error: null, StatusCodes.Status200OK);

    public static async Task<IResult> Submit(
        HttpContext http, IAntiforgery antiforgery, IdentityDb db, IPasswordHasher<DashboardUser> hasher,
        [FromForm] string? email, [FromForm] string? password, [FromForm] string? returnUrl, CancellationToken cancellationToken)
    {
        if (!IsLocal(returnUrl))
            return Page(http, antiforgery, returnUrl: null, email, "Start signing in from the dashboard.", StatusCodes.Status400BadRequest);

        var normalized = (email ?? "").Trim().ToLowerInvariant();
        var user = await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.Email == normalized, cancellationToken);
        // Hash even for an unknown email, so the answer takes as long either way.
        var verified = hasher.VerifyHashedPassword(user ?? Nobody, user?.PasswordHash ?? NobodysHash, password ?? "");
        if (user is null || verified == PasswordVerificationResult.Failed)
            return Page(http, antiforgery, returnUrl, email, "Wrong email or password.", StatusCodes.Status400BadRequest);

        var identity = new ClaimsIdentity([new Claim(Claims.Subject, user.Id)], CookieAuthenticationDefaults.AuthenticationScheme);
        await http.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme, new ClaimsPrincipal(identity));
        return Results.LocalRedirect(returnUrl!);
    }

    private static readonly DashboardUser Nobody = new() { Id = "", Email = "", PasswordHash = "", TenantId = "" };
    private static readonly string NobodysHash = new PasswordHasher<DashboardUser>().HashPassword(Nobody, Guid.NewGuid().ToString());

    /// <summary>Only back into this server (the authorization endpoint): never an open redirect.</summary>
    private static bool IsLocal(string? url) =>
        url is { Length: > 0 } && url[0] == '/' && (url.Length == 1 || (url[1] != '/' && url[1] != '\\'));

    private static IResult Page(HttpContext http, IAntiforgery antiforgery, string? returnUrl, string? email, string? error, int status)
    {
        var tokens = antiforgery.GetAndStoreTokens(http);
        var e = HtmlEncoder.Default;
        var html = $$"""
            <!doctype html>
            <html lang="en">
            <head>
              <meta charset="utf-8">
              <meta name="viewport" content="width=device-width, initial-scale=1">
              <title>Sign in · TenantQuota</title>
              <style>
                body { font-family: system-ui, sans-serif; background: #f4f5f7; margin: 0; }
                main { max-width: 22rem; margin: 10vh auto; background: #fff; padding: 2rem; border-radius: .5rem; box-shadow: 0 1px 4px #0002; }
                label { display: block; margin: 1rem 0 .25rem; }
                input { width: 100%; box-sizing: border-box; padding: .5rem; font-size: 1rem; }
                button { margin-top: 1.5rem; width: 100%; padding: .6rem; font-size: 1rem; }
                .error { color: #a00; }
              </style>
            </head>
            <body>
              <main>
                <h1>Sign in to TenantQuota</h1>
                {{(error is null ? "" : $"<p class=\"error\" role=\"alert\">{e.Encode(error)}</p>")}}
                <form method="post" action="{{e.Encode(http.Request.PathBase + Path)}}">
                  <input type="hidden" name="{{e.Encode(tokens.FormFieldName)}}" value="{{e.Encode(tokens.RequestToken ?? "")}}">
                  <input type="hidden" name="returnUrl" value="{{e.Encode(returnUrl ?? "")}}">
                  <label for="email">Email</label>
                  <input id="email" name="email" type="email" autocomplete="username" required value="{{e.Encode(email ?? "")}}">
                  <label for="password">Password</label>
                  <input id="password" name="password" type="password" autocomplete="current-password" required>
                  <button type="submit">Sign in</button>
                </form>
              </main>
            </body>
            </html>
            """;
        return Results.Content(html, "text/html; charset=utf-8", statusCode: status);
    }
}
