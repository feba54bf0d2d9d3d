using Microsoft.AspNetCore.Authentication.Cookies;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Server;
using OpenIddict.Server.AspNetCore;
using TenantQuota.Identity.Store;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace TenantQuota.Identity;

public static class IdentityHost
{
    private const string SignInAttempts = "sign-in-attempts";

    /// <summary>The same database as the API (its own schema, <c>identity</c>), so one connection string serves both.</summary>
    public const string ConnectionStringName = "TenantQuota";

    public static WebApplicationBuilder AddIdentityHost(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<IdentitySettings>().BindConfiguration("Identity").ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton(provider => IdentityKeys.Load(provider.GetRequiredService<IOptions<IdentitySettings>>().Value,
            provider.GetRequiredService<TimeProvider>(), provider.GetRequiredService<ILogger<IdentityKeys>>()));
        services.AddIdentityStore(ConnectionStringName); // registers the migrations first: the seeder runs after them
        services.AddHostedService<IdentitySeeder>();
        services.AddHostedService<TokenPruner>();
        services.AddSingleton<IPasswordHasher<DashboardUser>, PasswordHasher<DashboardUser>>();

        services.AddAuthentication(CookieAuthenticationDefaults.AuthenticationScheme).AddCookie(cookie =>
        {
            cookie.LoginPath = SignInPage.Path;
            cookie.Cookie.Name = "tq_identity";
            cookie.ExpireTimeSpan = TimeSpan.FromMinutes(30);
        });
        services.AddAntiforgery();
        // Password guessing: a handful of sign-in attempts per minute from one address, then 429.
        services.AddRateLimiter(limiter =>
        {
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.AddPolicy(SignInAttempts, http => RateLimitPartition.GetFixedWindowLimiter(
                http.Connection.RemoteIpAddress?.ToString() ?? "unknown",
                _ => new FixedWindowRateLimiterOptions
                {
                    PermitLimit = http.RequestServices.GetRequiredService<IOptions<IdentitySettings>>().Value.SignInAttemptsPerMinute,
                    Window = TimeSpan.FromMinutes(1),
                }));
        });

        services.AddOpenIddict().AddServer(server =>
        {
            // The paths the Node provider served (/token, /jwks), so existing scripts and clients keep working.
            server.SetTokenEndpointUris("token").SetJsonWebKeySetEndpointUris("jwks").SetAuthorizationEndpointUris("authorize");
            server.AllowClientCredentialsFlow().AllowAuthorizationCodeFlow().RequireProofKeyForCodeExchange();
            server.RegisterScopes([Scopes.OpenId, .. ApiScopes.All]);
            // The endpoints check a client's scopes themselves: OpenIddict's own check answers
            // invalid_request, where RFC 6749 (and our clients) expect invalid_scope.
            server.IgnoreScopePermissions();
            // The API reads the access token (a signed JWT); only codes are encrypted.
            server.DisableAccessTokenEncryption();
            // Compact JSON, as the Node provider answered: scripts read the token with one sed expression.
            server.UseAspNetCore().EnableTokenEndpointPassthrough().EnableAuthorizationEndpointPassthrough().SuppressJsonResponseIndentation();
        });
        // Issuer, lifetime and keys come from Identity:*, read when the options are built (not while the
        // host is being composed), so configuration given to a test host is honoured. ValidateOnStart
        // builds them at start: a missing certificate stops the start rather than the first request.
        services.AddOptions<OpenIddictServerOptions>()
            .Configure<IOptions<IdentitySettings>, IdentityKeys>((server, settings, keys) =>
            {
                if (settings.Value.Issuer is { Length: > 0 } issuer) server.Issuer = new Uri(issuer, UriKind.Absolute);
                server.AccessTokenLifetime = settings.Value.AccessTokenLifetime;
                foreach (var certificate in keys.SigningCertificates)
                    server.SigningCredentials.Add(new SigningCredentials(new X509SecurityKey(certificate), SecurityAlgorithms.RsaSha256));
                foreach (var certificate in keys.EncryptionCertificates)
                    server.EncryptionCredentials.Add(new EncryptingCredentials(new X509SecurityKey(certificate),
                        SecurityAlgorithms.RsaOAEP, SecurityAlgorithms.Aes256CbcHmacSha512));
            })
            .ValidateOnStart();
        services.AddOptions<OpenIddictServerAspNetCoreOptions>().Configure<IOptions<IdentitySettings>>((aspNetCore, settings) =>
            aspNetCore.DisableTransportSecurityRequirement = !settings.Value.RequireHttps);
        return builder;
    }

    public static WebApplication MapIdentityHost(this WebApplication app)
    {
        app.UseAuthentication(); // also where OpenIddict reads and answers protocol requests
        app.UseAntiforgery();
        app.UseRateLimiter();

        app.MapGet("/authorize", AuthorizeEndpoint.Handle);
        app.MapPost("/token", TokenEndpoint.Handle);
        app.MapGet(SignInPage.Path, SignInPage.Show);
        app.MapPost(SignInPage.Path, SignInPage.Submit).RequireRateLimiting(SignInAttempts);
        return app;
    }
}
