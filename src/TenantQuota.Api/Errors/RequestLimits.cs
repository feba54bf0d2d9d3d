using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using static TenantQuota.Api.Errors.ProblemJson;

namespace TenantQuota.Api.Errors;

/// <summary>
/// Our limits on the request line and headers, enforced in the app so that going over them is a
/// problem+json answer. Kestrel refuses what is over its own limits before any app code runs, with
/// an empty body; its limits are therefore set a little above ours (<see cref="ConfigureKestrel"/>),
/// and only requests beyond those (or with bytes HTTP forbids in the request line) still get
/// Kestrel's bare answer (README, "Errors").
/// </summary>
public static class RequestLimits
{
    public const int MaxRequestTargetChars = 8 * 1024;
    public const int MaxHeaderBytes = 32 * 1024;
    public const int MaxHeaderCount = 100;

    /// <summary>Every request body is small JSON; anything bigger is refused with 413 before it is read.</summary>
    public const long MaxRequestBodyBytes = 64 * 1024;

    public static void ConfigureKestrel(KestrelServerLimits limits)
    {
        limits.MaxRequestBodySize = MaxRequestBodyBytes;
        // Room for the cases people actually hit (a URL a little over 8 KB; a pasted 100 KB token),
        // so they get a readable answer; beyond this Kestrel's bare answer is fine.
        limits.MaxRequestLineSize = 4 * MaxRequestTargetChars;
        limits.MaxRequestHeadersTotalSize = 4 * MaxHeaderBytes;
        limits.MaxRequestHeaderCount = 2 * MaxHeaderCount;
    }

    public static IApplicationBuilder UseRequestLimits(this IApplicationBuilder app) => app.Use(async (http, next) =>
    {
        if (Exceeded(http) is { } problem)
        {
            await WriteAsync(http, problem);
            return;
        }
        await next(http);
    });

    private static Microsoft.AspNetCore.Mvc.ProblemDetails? Exceeded(HttpContext http)
    {
        var target = http.Features.Get<IHttpRequestFeature>()?.RawTarget ?? http.Request.Path.Value ?? "";
        if (target.Length > MaxRequestTargetChars)
            return Problem(414, ProblemTypes.UriTooLong, "The URL is too long.",
                $"The request target is {target.Length} characters; at most {MaxRequestTargetChars} are accepted.");

        var headers = http.Request.Headers;
        if (headers.Count > MaxHeaderCount)
            return Problem(431, ProblemTypes.HeadersTooLarge, "Too many request headers.",
                $"The request has {headers.Count} headers; at most {MaxHeaderCount} are accepted.");
        long size = 0;
        foreach (var (name, values) in headers)
            foreach (var value in values)
                size += name.Length + (value?.Length ?? 0) + 4; // "name: value\r\n"
        if (size > MaxHeaderBytes)
            return Problem(431, ProblemTypes.HeadersTooLarge, "The request headers are too large.",
                $"The request headers take about {size} bytes; at most {MaxHeaderBytes} are accepted (a bearer token is normally under 2 KB).");
        return null;
    }
}
