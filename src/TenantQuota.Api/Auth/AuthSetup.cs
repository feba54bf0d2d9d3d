using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;
using TenantQuota.Api.Errors;
using TenantQuota.Api.Hosting;

namespace TenantQuota.Api.Auth;

/// <summary>
/// A strict OIDC resource server: issuer, audience, lifetime, signature and the RFC 9068
/// <c>at+jwt</c> type are all validated; claims keep their JWT names.
/// </summary>
public static class AuthSetup
{
    public static IServiceCollection AddTenantQuotaAuth(this IServiceCollection services)
    {
        services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer();
        services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme)
            .Configure<IOptions<AuthSettings>, ApiMetrics>((jwt, settings, metrics) =>
            {
                ValidateStrictly(jwt, settings.Value, metrics);
                jwt.Events = new JwtBearerEvents
                {
                    OnChallenge = WriteUnauthorized,
                    OnForbidden = context => ProblemJson.WriteAsync(context.HttpContext, ProblemJson.Problem(403, ProblemTypes.Forbidden, "Forbidden.",
                        "The access token does not grant the scope this endpoint requires.")),
                };
            });

        services.AddAuthorizationBuilder()
            .SetFallbackPolicy(new AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build())
            .AddScopePolicies();
        return services;
    }

    /// <summary>
    /// The one token validation of this API, for every scheme that reads an access token (the bearer header here, the
    /// dashboard's cookie in Dashboard/DashboardAuth): the issuer's discovery document and keys, audience, lifetime, at+jwt.
    /// </summary>
    public static void ValidateStrictly(JwtBearerOptions jwt, AuthSettings auth, ApiMetrics metrics)
    {
        jwt.Authority = auth.Authority;
        jwt.Audience = auth.Audience;
        jwt.RequireHttpsMetadata = auth.RequireHttpsMetadata;
        jwt.MapInboundClaims = false;
        jwt.TokenHandlers.Clear();
        jwt.TokenHandlers.Add(new CachingJsonWebTokenHandler(auth.ValidatedTokenCacheSize, TimeProvider.System, metrics) { MapInboundClaims = false });
        jwt.TokenValidationParameters.ValidateIssuer = true;
        jwt.TokenValidationParameters.ValidateAudience = true;
        jwt.TokenValidationParameters.ValidAudience = auth.Audience;
        jwt.TokenValidationParameters.ValidateLifetime = true;
        jwt.TokenValidationParameters.RequireExpirationTime = true;
        jwt.TokenValidationParameters.ValidateIssuerSigningKey = true;
        jwt.TokenValidationParameters.ValidTypes = ["at+jwt"];
        jwt.TokenValidationParameters.ClockSkew = TimeSpan.FromSeconds(30);
    }

    private static AuthorizationBuilder AddScopePolicies(this AuthorizationBuilder builder)
    {
        foreach (var scope in Scopes.All)
            builder.AddPolicy(scope, policy => policy.RequireAuthenticatedUser().RequireAssertion(c => Scopes.Has(c.User, scope)));
        return builder;
    }

    private static Task WriteUnauthorized(JwtBearerChallengeContext context)
    {
        context.HandleResponse();
        var detail = context.AuthenticateFailure is null
            ? "Send an access token: Authorization: Bearer <token>."
            : "The access token is not valid (signature, issuer, audience, type or lifetime).";
        context.Response.Headers.WWWAuthenticate = context.AuthenticateFailure is null ? "Bearer" : "Bearer error=\"invalid_token\"";
        return ProblemJson.WriteAsync(context.HttpContext, ProblemJson.Problem(401, ProblemTypes.Unauthorized, "Unauthorized.", detail));
    }
}
