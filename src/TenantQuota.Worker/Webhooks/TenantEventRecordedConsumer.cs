using MassTransit;
using Npgsql;
using TenantQuota.Contracts;
using TenantQuota.Domain.Governance;

namespace TenantQuota.Worker.Webhooks;

/// <summary>
/// Turns one <see cref="TenantEventRecorded"/> into a delivery row per live webhook endpoint of the tenant that
/// subscribed to its type, then wakes <see cref="WebhookSender"/>. Idempotent: a second delivery of the message
/// finds the rows there (primary key event × endpoint) and adds none. The rows, not the broker, carry the
/// retries, which last longer than any message redelivery should (25 hours, <see cref="WebhookRetry"/>).
/// </summary>
public sealed class TenantEventRecordedConsumer(NpgsqlDataSource db, WebhookSender sender, TimeProvider clock) : IConsumer<TenantEventRecorded>
{
    private const string EndpointsSql = "SELECT id, events FROM webhook_endpoints WHERE tenant_id = $1 AND deleted_at IS NULL";

    private const string FanOutSql = """
        INSERT INTO webhook_deliveries (tenant_id, event_id, endpoint_id, created_at, next_attempt_at)
        SELECT $1, $2, endpoint_id, $4, $4 FROM unnest($3::text[]) AS endpoint_id
        ON CONFLICT DO NOTHING
        """;

    public async Task Consume(ConsumeContext<TenantEventRecorded> context)
    {
        var recorded = context.Message;
        var cancellationToken = context.CancellationToken;
        var subscribed = new List<string>();
        await using (var endpoints = db.CreateCommand(EndpointsSql))
        {
            endpoints.Parameters.Add(new NpgsqlParameter { Value = recorded.TenantId });
            await using var reader = await endpoints.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
                if (reader.GetFieldValue<string[]>(1).Any(pattern => WebhookEvents.Matches(pattern, recorded.Type)))
                    subscribed.Add(reader.GetString(0));
        }
        if (subscribed.Count == 0) return;

        await using var fanOut = db.CreateCommand(FanOutSql);
        fanOut.Parameters.Add(new NpgsqlParameter { Value = recorded.TenantId });
        fanOut.Parameters.Add(new NpgsqlParameter { Value = recorded.EventId });
        fanOut.Parameters.Add(new NpgsqlParameter { Value = subscribed.ToArray() });
        fanOut.Parameters.Add(new NpgsqlParameter { Value = clock.GetUtcNow() });
        if (await fanOut.ExecuteNonQueryAsync(cancellationToken) > 0) sender.Wake();
    }
}
