using System.Security.Claims;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http.HttpResults;
using TenantQuota.Api.Auth;
using TenantQuota.Api.Entitlements;
using TenantQuota.Api.Errors;
using TenantQuota.Api.Hosting;
using TenantQuota.Data.Audit;
using TenantQuota.Data.EndUser;

namespace TenantQuota.Api.EndUser;

public sealed record CreateViewTokenRequest(int? TtlSeconds);

public sealed record ViewTokenResponse(string Token, DateTime ExpiresAt, string SubjectId);

public sealed record AllowedOriginsRequest(List<string?>? AllowedOrigins);

public sealed record AllowedOriginsResponse(IReadOnlyList<string> AllowedOrigins);

/// <summary>
/// What an end user's browser reaches: view tokens (a back end makes one per end user, the meter reads
/// usage with it), the meter's script, and the origins a tenant's pages may call from.
/// </summary>
public static partial class EndUserApi
{
    public const string ViewPolicy = "view-token";
    private const int MaxOrigins = 20;

    public static IServiceCollection AddEndUser(this IServiceCollection services)
    {
        services.AddSingleton<ViewTokens>();
        services.AddSingleton<TenantOrigins>();
        services.AddSingleton<Microsoft.AspNetCore.Cors.Infrastructure.ICorsPolicyProvider, EndUserCors>();
        services.AddCors();
        services.AddAuthentication().AddScheme<Microsoft.AspNetCore.Authentication.AuthenticationSchemeOptions, ViewTokenAuthentication>(ViewTokenAuthentication.SchemeName, null);
        services.AddAuthorizationBuilder().AddPolicy(ViewPolicy, policy => policy
            .AddAuthenticationSchemes(ViewTokenAuthentication.SchemeName)
            .RequireAuthenticatedUser()
            .RequireClaim("scope", ViewTokenAuthentication.Scope));
        return services;
    }

    public static RouteGroupBuilder MapEndUser(this RouteGroupBuilder v1)
    {
        var views = v1.MapGroup("").WithTags("End users");
        views.MapPost("/subjects/{subjectId}/view-tokens", CreateViewToken)
            .RequireAuthorization(Scopes.QuotaCheck)
            .WithName("CreateViewToken")
            .WithSummary("Make a short-lived token that reads one subject's usage")
            .WithDescription("For the embeddable meter in the end user's browser: the token reads GET /v1/me/usage of this subject " +
                "only, for ttlSeconds (60–900, default 900), and nothing else. Scope quota.check.")
            .AcceptsJsonBody();
        views.MapGet("/me/usage", MyUsage)
            .RequireAuthorization(ViewPolicy)
            .RequireCors(EndUserCors.Policy)
            .WithName("GetMyUsage")
            .WithSummary("Read the usage of the view token's subject")
            .WithDescription("The usage answer of GET /v1/subjects/{subjectId}/usage for the subject the view token was made for. " +
                "Callable from the tenant's allowed origins (CORS). Authorization: Bearer tqv_….");

        var anyTenant = v1.MapGroup("/tenants/{id}/allowed-origins").RequireAuthorization(Scopes.PlatformAdmin).WithTags("Tenants");
        anyTenant.MapGet("/", GetForTenant).WithName("GetTenantAllowedOrigins").WithSummary("Read the origins a tenant's pages may call from")
            .WithDescription("Scope platform.admin.").ProducesProblem(StatusCodes.Status404NotFound);
        anyTenant.MapPut("/", SetForTenant).WithName("SetTenantAllowedOrigins").WithSummary("Set the origins a tenant's pages may call from")
            .WithDescription("scheme://host[:port] each, at most 20; the meter's calls from other origins are refused by the browser. " +
                "Scope platform.admin.").ProducesProblem(StatusCodes.Status404NotFound).AcceptsJsonBody();
        var ownTenant = v1.MapGroup("/tenant/allowed-origins").RequireAuthorization(Scopes.TenantAdmin).WithTags("Tenants");
        ownTenant.MapGet("/", Get).WithName("GetAllowedOrigins").WithSummary("Read the origins your pages may call from")
            .WithDescription("Scope tenant.admin.");
        ownTenant.MapPut("/", Set).WithName("SetAllowedOrigins").WithSummary("Set the origins your pages may call from")
            .WithDescription("As the platform operator's variant, for the tenant of the caller's token. Scope tenant.admin.").AcceptsJsonBody();
        return v1;
    }

    /// <summary>GET /widget/tq-quota.js (latest, cached briefly) and /widget/{version}/tq-quota.js (that version, cached for good).</summary>
    public static WebApplication MapWidget(this WebApplication app)
    {
        app.MapGet("/widget/tq-quota.js", (HttpContext http) => Widget(http, TimeSpan.FromMinutes(5))).AllowAnonymous().ExcludeFromDescription();
        app.MapGet("/widget/{version}/tq-quota.js", (string version, HttpContext http) =>
            version == WidgetScript.Version ? Widget(http, TimeSpan.FromDays(365)) : Results.NotFound()).AllowAnonymous().ExcludeFromDescription();
        return app;
    }

    public static async Task<Results<Created<ViewTokenResponse>, ValidationProblem>> CreateViewToken(
        string subjectId, CreateViewTokenRequest? request, TenantContext caller, EntitlementDependencies deps, ViewTokens tokens,
        TimeProvider clock, HttpContext http, CancellationToken cancellationToken)
    {
        subjectId = RawPaths.Between(http, "/v1/subjects/", "/view-tokens") ?? subjectId;
        if (EntitlementRequest.ValidateSubjectId(subjectId) is { } invalid) return Problems.Validation("subjectId", invalid);
        var ttl = request?.TtlSeconds ?? (int)ViewTokens.MaxLifetime.TotalSeconds;
        if (ttl is < 60 or > 900) return Problems.Validation("ttlSeconds", "ttlSeconds must be between 60 and 900 (15 minutes).");

        var tenant = await deps.Tenants.FindAsync(caller.TenantId, cancellationToken)
            ?? throw new TenantAccessException(ProblemTypes.TenantNotProvisioned, $"Tenant '{caller.TenantId}' named by the access token is not provisioned here.");
        var (token, expiresAt) = await tokens.CreateAsync(tenant.Id, subjectId, clock.GetUtcNow(), TimeSpan.FromSeconds(ttl), cancellationToken);
        return TypedResults.Created((string?)null, new ViewTokenResponse(token, expiresAt.UtcDateTime, subjectId));
    }

    public static async Task<Ok<UsageResponse>> MyUsage(HttpContext http, EntitlementDependencies deps, CancellationToken cancellationToken)
    {
        var subjectId = http.User.FindFirst(ViewTokenAuthentication.SubjectClaim)!.Value;
        return TypedResults.Ok(await UsageEndpoint.AnswerAsync(subjectId, TenantContext.From(http.User), deps, http, cancellationToken));
    }

    public static async Task<Results<Ok<AllowedOriginsResponse>, ProblemHttpResult>> GetForTenant(string id, TenantOrigins origins, CancellationToken cancellationToken) =>
        await origins.GetAsync(id, cancellationToken) is { } found ? TypedResults.Ok(new AllowedOriginsResponse(found)) : UnknownTenant(id);

    public static async Task<Results<Ok<AllowedOriginsResponse>, ValidationProblem, ProblemHttpResult>> SetForTenant(
        string id, AllowedOriginsRequest? request, TenantOrigins origins, ClaimsPrincipal user, AuditLog audit, TimeProvider clock, CancellationToken cancellationToken)
    {
        if (Validate(request) is not { } valid) return Problems.Validation(Errors(request));
        var before = await origins.GetAsync(id, cancellationToken);
        if (before is null || !await origins.SetAsync(id, valid, cancellationToken)) return UnknownTenant(id);
        await audit.AppendAsync(new AuditEntry(id, AuditLog.AllowedOrigins, "changed", null, Actor.Of(user), clock.GetUtcNow(),
            new { allowedOrigins = before }, new { allowedOrigins = valid }), cancellationToken);
        return TypedResults.Ok(new AllowedOriginsResponse(valid));
    }

    public static async Task<Results<Ok<AllowedOriginsResponse>, ProblemHttpResult>> Get(TenantContext caller, TenantOrigins origins, CancellationToken cancellationToken) =>
        await GetForTenant(caller.TenantId, origins, cancellationToken);

    public static async Task<Results<Ok<AllowedOriginsResponse>, ValidationProblem, ProblemHttpResult>> Set(
        TenantContext caller, AllowedOriginsRequest? request, TenantOrigins origins, ClaimsPrincipal user, AuditLog audit, TimeProvider clock,
        CancellationToken cancellationToken) =>
        await SetForTenant(caller.TenantId, request, origins, user, audit, clock, cancellationToken);

    /// <summary>The origins, each as scheme://host[:port] in lower case, or null when any is not one.</summary>
    private static List<string>? Validate(AllowedOriginsRequest? request) =>
        Errors(request).Count > 0 ? null : request!.AllowedOrigins!.Select(o => Origin(o)!).Distinct(StringComparer.Ordinal).ToList();

    private static Dictionary<string, string[]> Errors(AllowedOriginsRequest? request)
    {
        var errors = new Dictionary<string, string[]>();
        if (request?.AllowedOrigins is not { } list) errors["allowedOrigins"] = ["allowedOrigins is required: a list of origins, e.g. [\"https://app.example.com\"] (empty allows none)."];
        else if (list.Count > MaxOrigins) errors["allowedOrigins"] = [$"At most {MaxOrigins} origins."];
        else
            for (var i = 0; i < list.Count; i++)
                if (Origin(list[i]) is null)
                    errors[$"allowedOrigins[{i}]"] = [$"'{list[i]}' is not an origin: scheme://host[:port] with http or https, no path, query or wildcard."];
        return errors;
    }

    private static string? Origin(string? text)
    {
        if (text is null || text.Length > 200 || !Uri.TryCreate(text, UriKind.Absolute, out var uri)) return null;
        if (uri.Scheme is not ("http" or "https") || uri.UserInfo.Length > 0 || uri.Query.Length > 0 || uri.Fragment.Length > 0
            || uri.AbsolutePath != "/" || text.Contains('*')) return null;
        return uri.IsDefaultPort ? $"{uri.Scheme}://{uri.Host}" : $"{uri.Scheme}://{uri.Host}:{uri.Port}";
    }

    private static ProblemHttpResult UnknownTenant(string id) => Problems.NotFound($"There is no tenant '{id}'.");

    private static IResult Widget(HttpContext http, TimeSpan maxAge)
    {
        http.Response.Headers.CacheControl = $"public, max-age={(long)maxAge.TotalSeconds}";
        http.Response.Headers.ETag = WidgetScript.ETag;
        http.Response.Headers["X-Content-Type-Options"] = "nosniff";
        if (http.Request.Headers.IfNoneMatch.ToString() == WidgetScript.ETag) return Results.StatusCode(StatusCodes.Status304NotModified);
        return Results.Bytes(WidgetScript.Bytes, "text/javascript; charset=utf-8");
    }

    /// <summary>tq-quota.js, embedded in this assembly: its bytes, its version (TQ_QUOTA_VERSION in the file) and an ETag.</summary>
    private static partial class WidgetScript
    {
        public static readonly byte[] Bytes = Read();
        public static readonly string Version = VersionPattern().Match(System.Text.Encoding.UTF8.GetString(Bytes)).Groups[1].Value;
        public static readonly string ETag = $"\"{Convert.ToHexString(SHA256.HashData(Bytes))[..16].ToLowerInvariant()}\"";

        private static byte[] Read()
        {
            using var stream = typeof(EndUserApi).Assembly.GetManifestResourceStream("TenantQuota.Api.EndUser.tq-quota.js")
                ?? throw new InvalidOperationException("tq-quota.js is not embedded in the API assembly.");
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            return copy.ToArray();
        }

        [GeneratedRegex("TQ_QUOTA_VERSION\\s*=\\s*\"([0-9.]+)\"")]
        private static partial Regex VersionPattern();
    }
}
