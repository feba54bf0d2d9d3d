using System.Diagnostics.Metrics;

namespace TenantQuota.Api.Hosting;

/// <summary>
/// The API's own meter ("TenantQuota.Api", at /metrics with the rest): every entitlement answer by endpoint, class and
/// decision, and how often a bearer token was found among those validated before (docs/decisions/0015). Latency is
/// ASP.NET Core's own http.server.request.duration, per route.
/// </summary>
public sealed class ApiMetrics
{
    public const string MeterName = "TenantQuota.Api";

    // One meter for the process, never disposed. OpenTelemetry merges same-named instruments of every meter of that
    // name into one stream and drops the stream when any of them is disposed: with a meter per host (IMeterFactory), a
    // second host in the process (tests, or an embedding application) stopping would end the first one's counters.
    private static readonly Meter Meter = new(MeterName);

    private static readonly Counter<long> Decisions = Meter.CreateCounter<long>("tenantquota.decisions", "{decision}",
        "Entitlement answers by endpoint (check, consume, reserve), operation class, decision (allow, warn, deny, overage) and whether it replayed a key");

    private static readonly Counter<long> TokenLookups = Meter.CreateCounter<long>("tenantquota.auth.token_cache.lookups", "{lookup}",
        "Bearer tokens looked up among those validated before: result hit (no signature check) or miss");

    public void Decided(string endpoint, string operationClass, string decision, bool duplicate) =>
        Decisions.Add(1, new("endpoint", endpoint), new("operation_class", operationClass), new("decision", decision), new("duplicate", duplicate));

    public void TokenLookup(bool hit) => TokenLookups.Add(1, new KeyValuePair<string, object?>("result", hit ? "hit" : "miss"));
}
