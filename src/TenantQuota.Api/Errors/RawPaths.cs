using Microsoft.AspNetCore.Http.Features;

namespace TenantQuota.Api.Errors;

/// <summary>
/// An id exactly as the request's path gives it: routing leaves "%2F" encoded in route values, so an id that holds a
/// slash ("team/ana", allowed for subjects) would otherwise never match what was stored under it.
/// </summary>
public static class RawPaths
{
    /// <summary>The unescaped text between <paramref name="prefix"/> and <paramref name="suffix"/> of the raw path, or null when it is not there.</summary>
    public static string? Between(HttpContext http, string prefix, string suffix = "")
    {
        var path = http.Features.Get<IHttpRequestFeature>()?.RawTarget?.Split('?', 2)[0];
        return path is not null && path.Length > prefix.Length + suffix.Length
               && path.StartsWith(prefix, StringComparison.Ordinal) && path.EndsWith(suffix, StringComparison.Ordinal)
            ? Uri.UnescapeDataString(path[prefix.Length..^suffix.Length])
            : null;
    }
}
