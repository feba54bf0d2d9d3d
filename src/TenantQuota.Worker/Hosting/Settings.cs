using System.ComponentModel.DataAnnotations;
using TenantQuota.Billing.Reconciliation;

namespace TenantQuota.Worker.Hosting;

/// <summary>RabbitMq__*: the broker MassTransit and the health checks connect to.</summary>
public sealed class RabbitMqSettings
{
    [Required(ErrorMessage = "RabbitMq:Host (env RabbitMq__Host) is required, e.g. 127.0.0.1")]
    public string Host { get; set; } = "127.0.0.1";

    [Range(1, 65535, ErrorMessage = "RabbitMq:Port (env RabbitMq__Port) must be a TCP port")]
    public int Port { get; set; } = 5672;

    [Required(ErrorMessage = "RabbitMq:VirtualHost (env RabbitMq__VirtualHost) is required, e.g. tenantquota")]
    public string VirtualHost { get; set; } = "/";

    [Required(ErrorMessage = "RabbitMq:Username (env RabbitMq__Username) is required")]
    public string Username { get; set; } = "guest";

    [Required(ErrorMessage = "RabbitMq:Password (env RabbitMq__Password) is required")]
    public string Password { get; set; } = "guest";

    public override string ToString() => $"RabbitMQ {{ {Host}:{Port} vhost {VirtualHost} user {Username} }}";
}

/// <summary>Worker__*: the overage pipeline's queue, pacing and retries, and the billing schedules.</summary>
public sealed class WorkerSettings : IValidatableObject
{
    /// <summary>The queue OverageRecordedConsumer reads; faults go to "&lt;queue&gt;_error".</summary>
    [Required(ErrorMessage = "Worker:OverageQueue (env Worker__OverageQueue) is required")]
    public string OverageQueue { get; set; } = "billing-overage-recorded";

    /// <summary>Outbox rows claimed and published per transaction.</summary>
    [Range(1, 10_000, ErrorMessage = "Worker:OutboxBatchSize (env Worker__OutboxBatchSize) must be 1 to 10000")]
    public int OutboxBatchSize { get; set; } = 100;

    /// <summary>How long the dispatcher waits when the outbox is empty before it looks again.</summary>
    public TimeSpan OutboxPollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How often held overage is checked for a customer and a meter that now exist.</summary>
    public TimeSpan HeldReleaseInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Messages one worker consumes at once (each may wait on Stripe).</summary>
    [Range(1, 256, ErrorMessage = "Worker:ConcurrentMessageLimit (env Worker__ConcurrentMessageLimit) must be 1 to 256")]
    public int ConcurrentMessageLimit { get; set; } = 8;

    /// <summary>
    /// Attempts after the first when Stripe is unavailable (5xx, 429, 409, network), spaced
    /// exponentially from RetryMinInterval to RetryMaxInterval; then the message goes to the error queue.
    /// </summary>
    [Range(0, 100, ErrorMessage = "Worker:RetryLimit (env Worker__RetryLimit) must be 0 to 100")]
    public int RetryLimit { get; set; } = 12;

    public TimeSpan RetryMinInterval { get; set; } = TimeSpan.FromSeconds(1);

    public TimeSpan RetryMaxInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>/billing/health reports "degraded" when the oldest undispatched outbox row is older.</summary>
    public TimeSpan OutboxAgeAlert { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How often our overage is reconciled with Stripe's meter event summaries; 0 turns it off. One worker at a time does it.</summary>
    public TimeSpan ReconcileInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>The UTC days reconciled, today included (the CLI's reconcile --days overrides it).</summary>
    [Range(1, ReconciliationWindow.MaxDays, ErrorMessage = "Worker:ReconcileDays (env Worker__ReconcileDays) must be 1 to 35: Stripe takes meter events up to 35 days old")]
    public int ReconcileDays { get; set; } = ReconciliationWindow.Default.Days;

    /// <summary>Usage newer than this is left to the pipeline and to Stripe's eventually consistent summaries until the next run.</summary>
    public TimeSpan ReconcileSettleTime { get; set; } = ReconciliationWindow.Default.SettleTime;

    /// <summary>How often past-due subscriptions past their grace period are moved to the free tier and stored Stripe events left unprocessed are acted on; 0 turns it off.</summary>
    public TimeSpan BillingHousekeepingInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>The queue of tenant events (alerts, reports) on their way to webhook endpoints.</summary>
    public string TenantEventsQueue { get; set; } = "tenant-events-recorded";

    /// <summary>How often budgets are checked against their alert thresholds; 0: never.</summary>
    public TimeSpan AlertInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often the usage rollups behind GET /v1/tenant/usage are brought up to date; 0: never.</summary>
    public TimeSpan RollupInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How often the complete hours the rollups have are looked at for usage spikes (docs/decisions/0022); 0: never.</summary>
    public TimeSpan AnomalyInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How often subscribed tenants' weekly usage reports are looked for (each is sent once); 0: never.</summary>
    public TimeSpan ReportInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How often due webhook deliveries are looked for when nothing woke the sender.</summary>
    public TimeSpan WebhookPollInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long a webhook receiver has to answer before the try counts as failed.</summary>
    public TimeSpan WebhookTimeout { get; set; } = TimeSpan.FromSeconds(10);

    public ReconciliationWindow ReconciliationWindow => new(ReconcileDays, ReconcileSettleTime);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var (name, value) in new[]
                 {
                     (nameof(OutboxPollInterval), OutboxPollInterval), (nameof(HeldReleaseInterval), HeldReleaseInterval),
                     (nameof(RetryMinInterval), RetryMinInterval), (nameof(RetryMaxInterval), RetryMaxInterval), (nameof(OutboxAgeAlert), OutboxAgeAlert),
                     (nameof(WebhookPollInterval), WebhookPollInterval), (nameof(WebhookTimeout), WebhookTimeout),
                 })
        {
            if (value <= TimeSpan.Zero || value > TimeSpan.FromDays(1))
                yield return new($"Worker:{name} (env Worker__{name}) must be more than 0 and at most a day, e.g. 00:00:01; it is {value}.", [name]);
        }
        foreach (var (name, value) in new[]
                 {
                     (nameof(ReconcileInterval), ReconcileInterval), (nameof(ReconcileSettleTime), ReconcileSettleTime),
                     (nameof(BillingHousekeepingInterval), BillingHousekeepingInterval), (nameof(AlertInterval), AlertInterval),
                     (nameof(RollupInterval), RollupInterval), (nameof(ReportInterval), ReportInterval), (nameof(AnomalyInterval), AnomalyInterval),
                 })
        {
            if (value < TimeSpan.Zero || value > TimeSpan.FromDays(1))
                yield return new($"Worker:{name} (env Worker__{name}) must be between 0 and a day, e.g. 01:00:00; it is {value}.", [name]);
        }
        if (RetryMaxInterval < RetryMinInterval)
            yield return new("Worker:RetryMaxInterval (env Worker__RetryMaxInterval) must not be shorter than Worker:RetryMinInterval.", [nameof(RetryMaxInterval)]);
    }
}
