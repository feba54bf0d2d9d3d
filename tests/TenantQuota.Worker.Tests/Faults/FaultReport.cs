using System.Data;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Npgsql;
using TenantQuota.Contracts;

namespace TenantQuota.Worker.Tests.Faults;

/// <summary>Small readings the fault tests take besides the ledger.</summary>
public static class FaultReport
{
    public sealed record Health(long Poisoned, long ErrorQueueDepth);

    /// <summary>
    /// GET /billing/health of an in-process worker: what it sent to the error queue since it started (its
    /// own count, so messages of another test run sharing the virtual host do not blur it) and the queue's depth.
    /// </summary>
    public static async Task<Health> BillingHealthAsync(WorkerProcess worker)
    {
        using var http = worker.Client();
        var health = (await http.GetFromJsonAsync<JsonObject>("/billing/health"))!;
        return new Health(health["poisonedSinceStart"]!.GetValue<long>(), health["errorQueueDepth"]!.GetValue<long>());
    }

    /// <summary>The stream's outbox rows as the dispatcher publishes them.</summary>
    public static async Task<List<OverageRecorded>> OutboxMessagesAsync(OverageStream stream)
    {
        await using var command = stream.Pipeline.Database.DataSource.CreateCommand(
            "SELECT usage_record_id, tenant_id, operation_class, quantity, occurred_at FROM billing_outbox WHERE tenant_id = $1 ORDER BY usage_record_id");
        command.Parameters.Add(new NpgsqlParameter { Value = stream.Tenant });
        await using var reader = await command.ExecuteReaderAsync();
        var messages = new List<OverageRecorded>();
        while (await reader.ReadAsync())
            messages.Add(new OverageRecorded(reader.GetInt64("usage_record_id"), reader.GetString("tenant_id"), reader.GetString("operation_class"),
                reader.GetInt64("quantity"), reader.GetFieldValue<DateTimeOffset>("occurred_at")));
        return messages;
    }

    /// <summary>Consumed deliveries of the stream's records (first deliveries, redeliveries and duplicates) seen by one worker.</summary>
    public static async Task<int> DeliveriesAsync(DeliveryCounter deliveries, OverageStream stream) =>
        (await OutboxMessagesAsync(stream)).Sum(m => deliveries.Consumed(m.UsageRecordId));
}
