using System.Globalization;

namespace TenantQuota.Api.Errors;

/// <summary>Query string values read the same way everywhere, each error named by its parameter.</summary>
public static class QueryValues
{
    /// <summary>An ISO 8601 instant (2026-11-01T00:00:00Z), null when absent; otherwise an error for <paramref name="field"/>.</summary>
    public static DateTimeOffset? Instant(string? text, string field, Dictionary<string, string[]> errors)
    {
        if (text is null) return null;
        if (text.Contains('T') && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at)) return at;
        errors[field] = [$"{field} must be an ISO 8601 instant, e.g. 2026-11-01T00:00:00Z."];
        return null;
    }
}
