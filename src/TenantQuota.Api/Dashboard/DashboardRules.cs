using System.Net.Http.Headers;

namespace TenantQuota.Api.Dashboard;

/// <summary>The dashboard's small pure rules: which language to speak, whether a form post came from the dashboard itself.</summary>
public static class DashboardRules
{
    public static readonly string[] Languages = ["en", "es"];

    /// <summary>
    /// ?lang= wins (and the page remembers it in a cookie), then that cookie, then the browser's Accept-Language
    /// (the best-ranked language we speak), then English.
    /// </summary>
    public static string Language(string? query, string? cookie, string? acceptLanguage)
    {
        if (Known(query) is { } asked) return asked;
        if (Known(cookie) is { } remembered) return remembered;
        if (!string.IsNullOrWhiteSpace(acceptLanguage))
        {
            var ranked = acceptLanguage.Split(',')
                .Select(part => StringWithQualityHeaderValue.TryParse(part.Trim(), out var value) ? value : null)
                .OfType<StringWithQualityHeaderValue>()
                .Where(v => v.Quality is not 0)
                .OrderByDescending(v => v.Quality ?? 1); // stable: equal ranks keep the browser's order
            foreach (var value in ranked)
                if (Known(value.Value.Split('-')[0]) is { } spoken) return spoken;
        }
        return "en";
    }

    private static string? Known(string? language) =>
        language?.Trim().ToLowerInvariant() is { } lower && Languages.Contains(lower) ? lower : null;

    /// <summary>
    /// A dashboard form post must come from a page of this very origin (CSRF, with the SameSite=Strict cookie): its
    /// Origin header, or when a browser sends none its Referer, must be scheme://host[:port] of the request itself.
    /// Neither header, "null", or anything else refuses.
    /// </summary>
    public static bool IsSameOrigin(string? origin, string? referer, string requestOrigin)
    {
        if (!string.IsNullOrEmpty(origin))
            return string.Equals(origin, requestOrigin, StringComparison.OrdinalIgnoreCase);
        if (string.IsNullOrEmpty(referer) || !Uri.TryCreate(referer, UriKind.Absolute, out var from)) return false;
        return string.Equals(from.GetLeftPart(UriPartial.Authority), requestOrigin, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Where a sign-in may send the browser back to: a path of the dashboard, never another site ("//evil", "/\evil").</summary>
    public static string SafeReturnPath(string? path) =>
        path is { Length: > 0 } && (path == "/dashboard" || path.StartsWith("/dashboard?", StringComparison.Ordinal) || path.StartsWith("/dashboard/", StringComparison.Ordinal))
            && !path.Contains('\\') && !path.Contains("//", StringComparison.Ordinal) && path.All(c => c > ' ' && c < 127)
            ? path
            : "/dashboard";

    /// <summary>
    /// How a budget's bar is coloured: "ok" below its first alert threshold, "warn" from there, "over" once the limit is
    /// reached. Without thresholds, "warn" from 90 %.
    /// </summary>
    public static string Tone(decimal counted, decimal limit, IReadOnlyList<decimal> thresholds)
    {
        if (limit <= 0) return "ok";
        var share = counted / limit;
        if (share >= 1) return "over";
        var first = thresholds.Count > 0 ? thresholds.Min() : 0.9m;
        return share >= first ? "warn" : "ok";
    }
}
