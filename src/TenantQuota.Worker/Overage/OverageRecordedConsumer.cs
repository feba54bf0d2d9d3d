using System.Data;
using MassTransit;
using Microsoft.Extensions.Options;
using Npgsql;
using TenantQuota.Billing;
using TenantQuota.Billing.MeterEvents;
using TenantQuota.Contracts;
using TenantQuota.Worker.Hosting;

namespace TenantQuota.Worker.Overage;

/// <summary>
/// Turns one <see cref="OverageRecorded"/> into one Stripe meter event. Delivery is at least once,
/// so it is idempotent three ways: billing_meter_events (a record already sent is skipped), a
/// transaction-scoped lock per usage record (two deliveries in flight at once take turns), and
/// towards Stripe the usage record id as the meter event's identifier and Idempotency-Key.
/// A tenant without a Stripe customer, or a class without a meter, is held (no Stripe call) and
/// released later by <see cref="HeldOverageReleaser"/>; overage is never dropped.
/// Stripe unavailable → <see cref="StripeUnavailableException"/>, retried with backoff by the
/// endpoint's retry policy; Stripe refused it → fault, the message goes to the error queue.
/// </summary>
public sealed class OverageRecordedConsumer(
    NpgsqlDataSource db, MeterEventSender sender, IOptions<StripeSettings> stripe, IOptions<WorkerSettings> settings,
    WorkerMetrics metrics, TimeProvider clock, ILogger<OverageRecordedConsumer> log) : IConsumer<OverageRecorded>
{
    // The lock key space of "one usage record's meter event"; the two-int form keeps it apart from
    // the tenant locks of tq_consume and the migrator's lock (both single bigint keys).
    private const int MeterEventLockSpace = 0x7451_4d45; // "tQME"

    // Its own statement: the lookup after it must take its snapshot once the lock is held, so
    // that it sees what a delivery that held the lock before has committed.
    private const string LockSql = "SELECT pg_advisory_xact_lock($1, hashint8($2))";

    private const string LookupSql = """
        SELECT EXISTS (SELECT 1 FROM billing_meter_events e WHERE e.usage_record_id = $1) AS already_sent,
               (SELECT c.stripe_customer_id FROM billing_customers c WHERE c.tenant_id = $2) AS stripe_customer_id,
               (SELECT m.event_name FROM stripe_catalog m WHERE m.kind = 'meter' AND m.key = $3) AS event_name
        """;

    private const string HoldSql = """
        INSERT INTO billing_overage_holds (usage_record_id, tenant_id, operation_class, reason, held_at)
        VALUES ($1, $2, $3, $4, $5)
        ON CONFLICT (usage_record_id) DO UPDATE SET reason = EXCLUDED.reason
        """;

    private const string RecordSql = """
        INSERT INTO billing_meter_events (usage_record_id, tenant_id, stripe_customer_id, event_name, quantity, occurred_at, sent_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7)
        """;

    private const string UnholdSql = "DELETE FROM billing_overage_holds WHERE usage_record_id = $1";

    public async Task Consume(ConsumeContext<OverageRecorded> context)
    {
        var overage = context.Message;
        var cancellationToken = context.CancellationToken;
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);

        bool alreadySent;
        string? customer, eventName;
        await ExecuteAsync(connection, transaction, LockSql, cancellationToken, MeterEventLockSpace, overage.UsageRecordId);
        await using (var lookup = new NpgsqlCommand(LookupSql, connection, transaction))
        {
            lookup.Parameters.Add(new NpgsqlParameter<long> { TypedValue = overage.UsageRecordId });
            lookup.Parameters.Add(new NpgsqlParameter<string> { TypedValue = overage.TenantId });
            lookup.Parameters.Add(new NpgsqlParameter<string> { TypedValue = overage.OperationClass });
            await using var reader = await lookup.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            alreadySent = reader.GetBoolean("already_sent");
            customer = reader.IsDBNull("stripe_customer_id") ? null : reader.GetString("stripe_customer_id");
            eventName = reader.IsDBNull("event_name") ? null : reader.GetString("event_name");
        }

        if (alreadySent)
        {
            await transaction.CommitAsync(cancellationToken);
            metrics.DuplicateSkipped();
            log.LogInformation("Meter event for usage record {UsageRecordId} was already sent; duplicate delivery skipped", overage.UsageRecordId);
            return;
        }

        var holdReason = !stripe.Value.Enabled ? "billing_disabled" : customer is null ? "no_customer" : eventName is null ? "no_meter" : null;
        if (holdReason is not null)
        {
            await ExecuteAsync(connection, transaction, HoldSql, cancellationToken,
                overage.UsageRecordId, overage.TenantId, overage.OperationClass, holdReason, clock.GetUtcNow().ToUniversalTime());
            await transaction.CommitAsync(cancellationToken);
            metrics.Held();
            log.LogInformation("Overage of usage record {UsageRecordId} (tenant {TenantId}, {OperationClass}, {Quantity}) held: {Reason}",
                overage.UsageRecordId, overage.TenantId, overage.OperationClass, overage.Quantity, holdReason);
            return;
        }

        var request = new MeterEventRequest(overage.UsageRecordId, customer!, eventName!, overage.Quantity, overage.OccurredAt);
        try
        {
            await sender.SendAsync(request, cancellationToken);
        }
        catch (MeterEventRejectedException e)
        {
            metrics.Poisoned("rejected");
            log.LogError(e, "ALERT billing: Stripe rejected the meter event of usage record {UsageRecordId} (tenant {TenantId}, {EventName}, {Quantity}): " +
                            "HTTP {Status}, type {ErrorType}, code {ErrorCode}, request {RequestId}. The message goes to the error queue {Queue}_error",
                overage.UsageRecordId, overage.TenantId, eventName, overage.Quantity, e.HttpStatus, e.ErrorType, e.ErrorCode, e.RequestId, settings.Value.OverageQueue);
            throw;
        }
        catch (StripeUnavailableException e) when (context.GetRetryAttempt() >= settings.Value.RetryLimit)
        {
            metrics.Poisoned("retries_exhausted");
            log.LogError(e, "ALERT billing: Stripe stayed unavailable for the meter event of usage record {UsageRecordId} after {Attempts} attempts " +
                            "(last: HTTP {Status}, type {ErrorType}, request {RequestId}). The message goes to the error queue {Queue}_error",
                overage.UsageRecordId, settings.Value.RetryLimit + 1, e.HttpStatus, e.ErrorType, e.RequestId, settings.Value.OverageQueue);
            throw;
        }

        await ExecuteAsync(connection, transaction, RecordSql, cancellationToken, overage.UsageRecordId, overage.TenantId, customer!, eventName!,
            overage.Quantity, overage.OccurredAt.ToUniversalTime(), clock.GetUtcNow().ToUniversalTime());
        await ExecuteAsync(connection, transaction, UnholdSql, cancellationToken, overage.UsageRecordId);
        await transaction.CommitAsync(cancellationToken);
        metrics.Sent();
        log.LogInformation("Meter event sent for usage record {UsageRecordId} (tenant {TenantId}, {EventName}, value {Quantity})",
            overage.UsageRecordId, overage.TenantId, eventName, overage.Quantity);
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, CancellationToken cancellationToken, params object[] values)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        foreach (var value in values) command.Parameters.Add(new NpgsqlParameter { Value = value });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
