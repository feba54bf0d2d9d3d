using System.Diagnostics.Metrics;

namespace TenantQuota.Data;

/// <summary>
/// The ledger's meter ("TenantQuota.Data"): how many requests each database round trip of a <see cref="GroupRunner{TItem,TResult}"/>
/// carried (group commit, docs/decisions/0016). Groups of 1 mean an idle process; large groups, one whose database is the
/// bottleneck. Static, as a library's meter is: every host that uses the ledger reports it under the same name.
/// </summary>
public static class LedgerMetrics
{
    public const string MeterName = "TenantQuota.Data";

    private static readonly Meter Meter = new(MeterName);

    private static readonly Histogram<int> GroupSize = Meter.CreateHistogram("tenantquota.ledger.group.size", "{request}",
        "Requests answered by one grouped database round trip, by runner (reads, charges, held, subjects)",
        advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = [1, 2, 4, 8, 16, 32, 64, 128, 256] });

    public static void Grouped(string runner, int size) => GroupSize.Record(size, new KeyValuePair<string, object?>("runner", runner));
}
