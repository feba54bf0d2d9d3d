using System.Buffers.Text;
using System.ComponentModel.DataAnnotations;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;
using TenantQuota.Api.Auth;
using TenantQuota.Api.Hosting;

namespace TenantQuota.Api.Dashboard;

/// <summary>Dashboard__*: the dashboard as an OIDC client of the issuer the API trusts (Auth__Authority).</summary>
public sealed class DashboardSettings
{
    /// <summary>The public client registered at the issuer for the code flow with PKCE.</summary>
    [Required(ErrorMessage = "Dashboard:ClientId (env Dashboard__ClientId) is required")]
    public string ClientId { get; set; } = "tenantquota-dashboard";

    /// <summary>Where the issuer sends the code; unset, &lt;the request's origin&gt;/dashboard/callback. It must be registered at the issuer.</summary>
    [Url(ErrorMessage = "Dashboard:RedirectUri (env Dashboard__RedirectUri) must be an absolute URL ending in /dashboard/callback")]
    public string? RedirectUri { get; set; }

    [Required(ErrorMessage = "Dashboard:Scope (env Dashboard__Scope) is required")]
    public string Scope { get; set; } = "openid tenant.admin";
}

/// <summary>
/// Sign-in for the dashboard, a backend-for-frontend with no server-side session (docs/decisions/0023-dashboard.md):
/// the authorization code flow with PKCE against the API's own issuer, and the access token itself kept in an HttpOnly,
/// SameSite=Strict cookie scoped to /dashboard. Every dashboard request validates that token exactly as the API
/// validates a bearer token (<see cref="AuthSetup.ValidateStrictly"/>), so any API process can serve any request.
/// </summary>
public static class DashboardAuth
{
    public const string Scheme = "Dashboard", Policy = "dashboard";
    public const string TokenCookie = "tq_dashboard", SignInCookie = "tq_dashboard_signin", LanguageCookie = "tq_lang";
    public const string Path = "/dashboard", CallbackPath = "/dashboard/callback";
    private static readonly TimeSpan SignInLifetime = TimeSpan.FromMinutes(10);

    public static IServiceCollection AddDashboardAuth(this IServiceCollection services)
    {
        services.AddOptions<DashboardSettings>().BindConfiguration("Dashboard").ValidateDataAnnotations().ValidateOnStart();
        services.AddAuthentication().AddJwtBearer(Scheme);
        services.AddOptions<JwtBearerOptions>(Scheme).Configure<IOptions<AuthSettings>, ApiMetrics>((jwt, settings, metrics) =>
        {
            AuthSetup.ValidateStrictly(jwt, settings.Value, metrics);
            jwt.Events = new JwtBearerEvents
            {
                // The cookie only: an Authorization header is the API's business, not the dashboard's.
                OnMessageReceived = context =>
                {
                    if (context.Request.Cookies[TokenCookie] is { Length: > 0 } token) context.Token = token;
                    else context.NoResult();
                    return Task.CompletedTask;
                },
                OnChallenge = ChallengeAsync,
                OnForbidden = context => DashboardPages.Message(context.HttpContext, StatusCodes.Status403Forbidden, t => t.ForbiddenHeading, t => t.ForbiddenBody)
                    .ExecuteAsync(context.HttpContext),
            };
        });
        services.AddAuthorizationBuilder().AddPolicy(Policy, policy => policy.AddAuthenticationSchemes(Scheme).RequireAuthenticatedUser()
            .RequireAssertion(c => Scopes.Has(c.User, Scopes.TenantAdmin) && c.User.FindFirst(TenantContext.Claim)?.Value is { Length: > 0 }));
        services.AddHttpClient(Scheme);
        return services;
    }

    /// <summary>
    /// No valid token: a page load goes to the issuer's /authorize (silently back here while the issuer's own session
    /// lives); a form post cannot be replayed after a round trip there, so it gets a page that says nothing was changed.
    /// </summary>
    private static async Task ChallengeAsync(JwtBearerChallengeContext context)
    {
        context.HandleResponse();
        var http = context.HttpContext;
        if (!HttpMethods.IsGet(http.Request.Method) && !HttpMethods.IsHead(http.Request.Method))
        {
            await DashboardPages.Message(http, StatusCodes.Status401Unauthorized, t => t.SessionEndedHeading, t => t.SessionEndedBody, Path).ExecuteAsync(http);
            return;
        }
        var settings = http.RequestServices.GetRequiredService<IOptions<DashboardSettings>>().Value;
        var issuer = await IssuerAsync(http);
        var state = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        var verifier = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        var returnPath = DashboardRules.SafeReturnPath(http.Request.Path + http.Request.QueryString);
        http.Response.Cookies.Append(SignInCookie, $"{state}.{verifier}.{Base64Url.EncodeToString(Encoding.UTF8.GetBytes(returnPath))}",
            Cookie(http, SameSiteMode.Lax, SignInLifetime));
        http.Response.Redirect(QueryHelpers.AddQueryString(issuer.AuthorizationEndpoint, new Dictionary<string, string?>
        {
            ["response_type"] = "code", ["client_id"] = settings.ClientId, ["redirect_uri"] = RedirectUri(http, settings), ["scope"] = settings.Scope,
            ["state"] = state, ["code_challenge"] = Base64Url.EncodeToString(SHA256.HashData(Encoding.ASCII.GetBytes(verifier))), ["code_challenge_method"] = "S256",
        }));
    }

    /// <summary>
    /// GET /dashboard/callback: the state must be this browser's, then the code is redeemed server to server with the
    /// PKCE verifier (a public client: no secret) and the access token goes into the cookie.
    /// </summary>
    public static async Task<IResult> CallbackAsync(string? code, string? state, HttpContext http, IOptions<DashboardSettings> settings,
        IHttpClientFactory clients, ILoggerFactory logs, CancellationToken cancellationToken)
    {
        var started = http.Request.Cookies[SignInCookie]?.Split('.') is [var expectedState, var verifier, var encodedPath] ? (expectedState, verifier, encodedPath) : default;
        http.Response.Cookies.Delete(SignInCookie, Cookie(http, SameSiteMode.Lax, null));
        if (started == default || code is null || state is null
            || !CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(state), Encoding.ASCII.GetBytes(started.expectedState)))
            return SignInFailed(http);

        var issuer = await IssuerAsync(http);
        using var client = clients.CreateClient(Scheme);
        using var answer = await client.PostAsync(issuer.TokenEndpoint, new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "authorization_code", ["code"] = code, ["redirect_uri"] = RedirectUri(http, settings.Value),
            ["client_id"] = settings.Value.ClientId, ["code_verifier"] = started.verifier,
        }), cancellationToken);
        var body = await answer.Content.ReadAsStringAsync(cancellationToken);
        if (!answer.IsSuccessStatusCode || ReadAccessToken(body) is not { } token)
        {
            logs.CreateLogger(typeof(DashboardAuth)).LogWarning("The issuer refused the dashboard's code: {Status} {Body}", (int)answer.StatusCode, body.Length > 300 ? body[..300] : body);
            return SignInFailed(http);
        }
        http.Response.Cookies.Append(TokenCookie, token, Cookie(http, SameSiteMode.Strict, null));
        string returnPath;
        try { returnPath = DashboardRules.SafeReturnPath(Encoding.UTF8.GetString(Base64Url.DecodeFromChars(started.encodedPath))); }
        catch (FormatException) { returnPath = Path; }
        // A page that moves on rather than a redirect: a redirect chain that began at another site's issuer would not
        // carry a SameSite=Strict cookie, and the dashboard would ask the issuer again, and again.
        return DashboardPages.Message(http, StatusCodes.Status200OK, t => t.SigningIn, t => t.Continue, returnPath, refresh: true);
    }

    /// <summary>POST /dashboard/sign-out: forgets the token (the issuer's own session is the issuer's).</summary>
    public static IResult SignOut(HttpContext http)
    {
        http.Response.Cookies.Delete(TokenCookie, Cookie(http, SameSiteMode.Strict, null));
        return DashboardPages.Message(http, StatusCodes.Status200OK, t => t.SignedOutHeading, t => t.SignedOutBody, Path, t => t.SignInAgain);
    }

    private static RazorComponentResult SignInFailed(HttpContext http) =>
        DashboardPages.Message(http, StatusCodes.Status400BadRequest, t => t.SignInFailedHeading, t => t.SignInFailedBody, Path, t => t.SignInAgain);

    private static string? ReadAccessToken(string body)
    {
        try
        {
            using var json = JsonDocument.Parse(body);
            return json.RootElement.TryGetProperty("access_token", out var token) && token.ValueKind == JsonValueKind.String ? token.GetString() : null;
        }
        catch (JsonException) { return null; }
    }

    /// <summary>The issuer's endpoints, from the discovery document the dashboard scheme already reads for its keys.</summary>
    private static async Task<Microsoft.IdentityModel.Protocols.OpenIdConnect.OpenIdConnectConfiguration> IssuerAsync(HttpContext http)
    {
        var jwt = http.RequestServices.GetRequiredService<IOptionsMonitor<JwtBearerOptions>>().Get(Scheme);
        return await jwt.ConfigurationManager!.GetConfigurationAsync(http.RequestAborted);
    }

    private static string RedirectUri(HttpContext http, DashboardSettings settings) =>
        settings.RedirectUri ?? $"{http.Request.Scheme}://{http.Request.Host}{http.Request.PathBase}{CallbackPath}";

    public static CookieOptions Cookie(HttpContext http, SameSiteMode sameSite, TimeSpan? maxAge) => new()
    {
        HttpOnly = true, SameSite = sameSite, Path = Path, Secure = http.Request.IsHttps, MaxAge = maxAge, IsEssential = true,
    };
}
