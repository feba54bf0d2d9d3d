using System.Diagnostics.Metrics;

namespace TenantQuota.Worker;

/// <summary>
/// The worker's counters (meter "TenantQuota.Worker", e.g. <c>dotnet-counters monitor -n TenantQuota.Worker
/// --counters TenantQuota.Worker</c>). Poisoned messages are also counted here for /billing/health;
/// that count is per process and starts at zero, the error queue's depth is the lasting one.
/// </summary>
public sealed class WorkerMetrics : IDisposable
{
    public const string MeterName = "TenantQuota.Worker";

    private readonly Meter _meter = new(MeterName);
    private readonly Counter<long> _dispatched;
    private readonly Counter<long> _sent;
    private readonly Counter<long> _duplicates;
    private readonly Counter<long> _alreadyAtStripe;
    private readonly Counter<long> _held;
    private readonly Counter<long> _released;
    private readonly Counter<long> _poisoned;
    private readonly Histogram<int> _batchSize;
    private readonly Histogram<double> _outboxLag;
    private readonly Counter<long> _webhookDeliveries;
    private long _poisonedSinceStart;

    public WorkerMetrics()
    {
        _dispatched = _meter.CreateCounter<long>("tenantquota.billing.outbox.dispatched", description: "Outbox rows published to RabbitMQ");
        _sent = _meter.CreateCounter<long>("tenantquota.billing.meter_events.sent", description: "Meter events Stripe accepted");
        _duplicates = _meter.CreateCounter<long>("tenantquota.billing.meter_events.duplicates", description: "Deliveries of an already sent usage record, skipped");
        _alreadyAtStripe = _meter.CreateCounter<long>("tenantquota.billing.meter_events.already_at_stripe", description: "Meter events Stripe refused as a duplicate identifier: it had them already; recorded as sent");
        _held = _meter.CreateCounter<long>("tenantquota.billing.overage.held", description: "Overage held: no Stripe customer or meter yet");
        _released = _meter.CreateCounter<long>("tenantquota.billing.overage.released", description: "Held overage set pending again");
        _poisoned = _meter.CreateCounter<long>("tenantquota.billing.meter_events.poisoned", description: "Messages sent to the error queue (ALERT)");
        _batchSize = _meter.CreateHistogram("tenantquota.billing.outbox.batch.size", "{row}", "Outbox rows published by one claim-publish-mark transaction",
            advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000] });
        _outboxLag = _meter.CreateHistogram("tenantquota.billing.outbox.lag", "s",
            "From the usage's time (a consume's commit; for a committed reservation, when it was reserved) to its overage message confirmed by RabbitMQ",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600] });
        _webhookDeliveries = _meter.CreateCounter<long>("tenantquota.webhooks.deliveries", "{try}",
            "Webhook delivery tries by result: delivered (2xx), failed (to be retried) or given_up");
    }

    public long PoisonedSinceStart => Interlocked.Read(ref _poisonedSinceStart);

    public void Dispatched(int count) => _dispatched.Add(count);

    /// <summary>A published batch: its size, and how long each row waited since its usage.</summary>
    public void Published(IReadOnlyCollection<TimeSpan> waited)
    {
        _batchSize.Record(waited.Count);
        foreach (var wait in waited) _outboxLag.Record(Math.Max(0, wait.TotalSeconds));
    }

    public void WebhookTried(string result) => _webhookDeliveries.Add(1, new KeyValuePair<string, object?>("result", result));
    public void Sent() => _sent.Add(1);
    public void DuplicateSkipped() => _duplicates.Add(1);
    public void AlreadyAtStripe() => _alreadyAtStripe.Add(1);
    public void Held() => _held.Add(1);
    public void Released(int count) => _released.Add(count);

    public void Poisoned(string reason)
    {
        Interlocked.Increment(ref _poisonedSinceStart);
        _poisoned.Add(1, new KeyValuePair<string, object?>("reason", reason));
    }

    public void Dispose() => _meter.Dispose();
}
