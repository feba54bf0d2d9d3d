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

    private readonly Counter<long> _decisions;
    private readonly Counter<long> _tokenLookups;

    /// <param name="meters">The host's factory: the meter is the host's (and disposed with it), so a test can listen to one host's alone.</param>
    public ApiMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        _decisions = meter.CreateCounter<long>("tenantquota.decisions", "{decision}",
            "Entitlement answers by endpoint (check, consume, reserve), operation class, decision (allow, warn, deny, overage) and whether it replayed a key");
        _tokenLookups = meter.CreateCounter<long>("tenantquota.auth.token_cache.lookups", "{lookup}",
            "Bearer tokens looked up among those validated before: result hit (no signature check) or miss");
    }

    public void Decided(string endpoint, string operationClass, string decision, bool duplicate) =>
        _decisions.Add(1, new("endpoint", endpoint), new("operation_class", operationClass), new("decision", decision), new("duplicate", duplicate));

    public void TokenLookup(bool hit) => _tokenLookups.Add(1, new KeyValuePair<string, object?>("result", hit ? "hit" : "miss"));
}
