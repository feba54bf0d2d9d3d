namespace TenantQuota.Domain.Governance;

/// <summary>
/// The tenant's event types, and the patterns a webhook endpoint subscribes with: <c>*</c> (every event),
/// <c>alert.*</c> (every type that starts with <c>alert.</c>) or one type exactly.
/// </summary>
public static class WebhookEvents
{
    public const string ThresholdCrossed = "alert.threshold_crossed";
    public const string Recovered = "alert.recovered";
    public const string ProjectedOverrun = "alert.projected_overrun";
    public const string Anomaly = "alert.anomaly";
    public const string UsageReport = "report.usage";

    public static readonly string[] Types = [ThresholdCrossed, Recovered, ProjectedOverrun, Anomaly, UsageReport];

    /// <summary>What an endpoint may subscribe to and the alert list may be filtered by.</summary>
    public static readonly string[] Patterns = ["*", "alert.*", .. Types];

    public static bool Matches(string pattern, string eventType) =>
        pattern == "*"
        || (pattern.EndsWith(".*", StringComparison.Ordinal) ? eventType.StartsWith(pattern[..^1], StringComparison.Ordinal) : pattern == eventType);
}
