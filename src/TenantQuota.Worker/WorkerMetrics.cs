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
    }

    public long PoisonedSinceStart => Interlocked.Read(ref _poisonedSinceStart);

    public void Dispatched(int count) => _dispatched.Add(count);
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
