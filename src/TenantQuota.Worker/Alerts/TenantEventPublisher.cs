using System.Security.Cryptography;
using System.Text;
using MassTransit;
using Microsoft.Extensions.Options;
using Npgsql;
using TenantQuota.Contracts;
using TenantQuota.Worker.Hosting;

namespace TenantQuota.Worker.Alerts;

/// <summary>
/// Publishes tenant_events rows not yet published as <see cref="TenantEventRecorded"/>, as
/// <see cref="Outbox.OutboxDispatcher"/> does for overage: claim with FOR UPDATE SKIP LOCKED, publish with
/// publisher confirms (mandatory), mark, commit. A crash before the commit publishes them again; the consumer
/// is idempotent on the event id. Woken by the evaluator after it writes; otherwise it polls.
/// </summary>
public sealed class TenantEventPublisher(NpgsqlDataSource db, IBusControl bus, IOptions<WorkerSettings> settings, ILogger<TenantEventPublisher> log)
    : BackgroundService
{
    private const string ClaimSql = """
        SELECT tenant_id, id, type, created_at FROM tenant_events
         WHERE published_at IS NULL
         ORDER BY created_at
         LIMIT $1
           FOR UPDATE SKIP LOCKED
        """;

    private const string MarkSql = """
        UPDATE tenant_events e SET published_at = now()
          FROM unnest($1::text[], $2::text[]) AS p (tenant_id, id)
         WHERE e.tenant_id = p.tenant_id AND e.id = p.id
        """;

    private const int BatchSize = 100;
    private static readonly TimeSpan PublishTimeout = TimeSpan.FromSeconds(30);

    private readonly BatchLoop _loop = new("Publishing tenant events", log);

    public void Wake() => _loop.Wake();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await bus.WaitForHealthStatus(BusHealthStatus.Healthy, stoppingToken);
        await _loop.RunAsync(async cancellationToken => await PublishBatchAsync(cancellationToken) == BatchSize,
            settings.Value.OutboxPollInterval, stoppingToken);
    }

    public async Task<int> PublishBatchAsync(CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var batch = new List<TenantEventRecorded>();
        await using (var claim = new NpgsqlCommand(ClaimSql, connection, transaction))
        {
            claim.Parameters.Add(new NpgsqlParameter<int> { TypedValue = BatchSize });
            await using var reader = await claim.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
                batch.Add(new TenantEventRecorded(reader.GetString(0), reader.GetString(1), reader.GetString(2),
                    new DateTimeOffset(DateTime.SpecifyKind(reader.GetDateTime(3), DateTimeKind.Utc))));
        }
        if (batch.Count > 0)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(PublishTimeout);
            await Task.WhenAll(batch.Select(message => bus.Publish(message, context =>
            {
                context.MessageId = MessageIdOf(message.TenantId, message.EventId);
                context.Mandatory = true;
            }, timeout.Token)));
            await using var mark = new NpgsqlCommand(MarkSql, connection, transaction);
            mark.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = batch.Select(m => m.TenantId).ToArray() });
            mark.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = batch.Select(m => m.EventId).ToArray() });
            await mark.ExecuteNonQueryAsync(cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
        return batch.Count;
    }

    /// <summary>The same message id each time an event is published (again).</summary>
    public static Guid MessageIdOf(string tenantId, string eventId) =>
        new(SHA256.HashData(Encoding.UTF8.GetBytes($"{tenantId}\n{eventId}")).AsSpan(0, 16));

    public override void Dispose()
    {
        _loop.Dispose();
        base.Dispose();
    }
}
