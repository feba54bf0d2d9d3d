using System.Data;
using MassTransit;
using Microsoft.Extensions.Options;
using Npgsql;
using TenantQuota.Contracts;
using TenantQuota.Worker.Hosting;

namespace TenantQuota.Worker.Outbox;

/// <summary>
/// Publishes billing_outbox rows (written by tq_consume in the consume's own transaction) as
/// <see cref="OverageRecorded"/>. Each batch is one transaction: claim pending rows in usage-record
/// order with FOR UPDATE SKIP LOCKED (so several workers share the work without waiting on each
/// other), publish them all and wait for RabbitMQ's publisher confirms, then mark them dispatched
/// and commit. A crash or a failed publish before the commit leaves them pending, to be published
/// again: delivery is at least once, and the consumer is idempotent on the usage record id.
/// When a batch was full it goes straight on; when the outbox is empty it waits for
/// Worker:OutboxPollInterval or for <see cref="Wake"/> (the held-overage release calls it).
/// tq_consume does not NOTIFY: that would serialise the commits of billable consumes.
/// </summary>
public sealed class OutboxDispatcher(
    NpgsqlDataSource db, IBusControl bus, IOptions<WorkerSettings> settings, WorkerMetrics metrics, ILogger<OutboxDispatcher> log)
    : BackgroundService
{
    private const string ClaimSql = """
        SELECT usage_record_id, tenant_id, operation_class, quantity, occurred_at, trace_parent
          FROM billing_outbox
         WHERE dispatched_at IS NULL
         ORDER BY usage_record_id
         LIMIT $1
           FOR UPDATE SKIP LOCKED
        """;

    private const string MarkSql = "UPDATE billing_outbox SET dispatched_at = now() WHERE usage_record_id = ANY($1)";

    private static readonly TimeSpan PublishTimeout = TimeSpan.FromSeconds(30);

    private readonly BatchLoop _loop = new("Outbox dispatch", log);

    /// <summary>New work may be pending (released holds): look now instead of at the next poll.</summary>
    public void Wake() => _loop.Wake();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // A publish before the consumer's queue is bound to the message exchange would be confirmed
        // and dropped, so nothing is published until the bus (with its receive endpoint) is up.
        await bus.WaitForHealthStatus(BusHealthStatus.Healthy, stoppingToken);
        log.LogInformation("Outbox dispatcher started (batch {BatchSize}, poll {PollInterval})",
            settings.Value.OutboxBatchSize, settings.Value.OutboxPollInterval);
        await _loop.RunAsync(async cancellationToken => await DispatchBatchAsync(cancellationToken) == settings.Value.OutboxBatchSize,
            settings.Value.OutboxPollInterval, stoppingToken);
    }

    /// <summary>One claim-publish-mark transaction; returns how many rows it published.</summary>
    public async Task<int> DispatchBatchAsync(CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var batch = new List<OverageRecorded>();
        var traces = new List<string?>();
        await using (var claim = new NpgsqlCommand(ClaimSql, connection, transaction))
        {
            claim.Parameters.Add(new NpgsqlParameter<int> { TypedValue = settings.Value.OutboxBatchSize });
            await using var reader = await claim.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                batch.Add(new OverageRecorded(
                    reader.GetInt64("usage_record_id"),
                    reader.GetString("tenant_id"),
                    reader.GetString("operation_class"),
                    reader.GetInt64("quantity"),
                    new DateTimeOffset(DateTime.SpecifyKind(reader.GetDateTime("occurred_at"), DateTimeKind.Utc))));
                traces.Add(reader.IsDBNull("trace_parent") ? null : reader.GetString("trace_parent"));
            }
        }
        if (batch.Count == 0)
        {
            await transaction.CommitAsync(cancellationToken);
            return 0;
        }

        // Publish returns once RabbitMQ confirmed the message (MassTransit's publisher confirms).
        using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            timeout.CancelAfter(PublishTimeout);
            // Mandatory: a message no queue is bound for (the queue deleted, a node back without its
            // definitions) comes back as MessageReturnedException instead of being confirmed and
            // dropped, so the batch rolls back and its rows stay pending.
            await Task.WhenAll(batch.Select((message, i) => PublishAsync(message, traces[i], timeout.Token)));
        }

        await using (var mark = new NpgsqlCommand(MarkSql, connection, transaction))
        {
            mark.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = batch.Select(m => m.UsageRecordId).ToArray() });
            await mark.ExecuteNonQueryAsync(cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
        metrics.Dispatched(batch.Count);
        var confirmed = DateTimeOffset.UtcNow;
        metrics.Published([.. batch.Select(m => confirmed - m.OccurredAt)]);
        log.LogDebug("Published {Count} overage messages, usage records {First}..{Last}", batch.Count, batch[0].UsageRecordId, batch[^1].UsageRecordId);
        return batch.Count;
    }

    /// <summary>Publishes one message inside the trace of the consume that wrote its row (its headers carry it on).</summary>
    private async Task PublishAsync(OverageRecorded message, string? traceParent, CancellationToken cancellationToken)
    {
        using var span = WorkerTracing.ContinueFrom("outbox publish", System.Diagnostics.ActivityKind.Producer, traceParent);
        span?.SetTag("tenantquota.usage_record_id", message.UsageRecordId);
        await bus.Publish(message, context =>
        {
            context.MessageId = MessageIdOf(message.UsageRecordId);
            context.Mandatory = true;
        }, cancellationToken);
    }

    /// <summary>
    /// The same message id every time a usage record is published (again), so a broker-side or
    /// log-side view of duplicates lines up with the usage record.
    /// </summary>
    public static Guid MessageIdOf(long usageRecordId)
    {
        Span<byte> bytes = stackalloc byte[16];
        "tqoverag"u8.CopyTo(bytes);
        BitConverter.TryWriteBytes(bytes[8..], usageRecordId);
        return new Guid(bytes);
    }

    public override void Dispose()
    {
        _loop.Dispose();
        base.Dispose();
    }
}
