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
/// transaction-scoped lock per usage record (two deliveries in flight at once take turns, and so do a
/// delivery and reconciliation: <see cref="SentMeterEvents"/>), and towards Stripe the usage record id
/// as the meter event's identifier and Idempotency-Key. Stripe refusing the identifier as a duplicate
/// means it has the event already (sent by reconciliation, or by an attempt whose record was lost):
/// recorded as sent, not a fault.
/// A tenant without a Stripe customer, or a class without a meter, is held (no Stripe call) and
/// released later by <see cref="HeldOverageReleaser"/>; overage is never dropped.
/// Stripe unavailable → <see cref="StripeUnavailableException"/>, retried with backoff by the
/// endpoint's retry policy; Stripe refused it → fault, the message goes to the error queue.
/// </summary>
public sealed class OverageRecordedConsumer(
    NpgsqlDataSource db, MeterEventSender sender, IOptions<StripeSettings> stripe, IOptions<WorkerSettings> settings,
    WorkerMetrics metrics, TimeProvider clock, ILogger<OverageRecordedConsumer> log) : IConsumer<OverageRecorded>
{
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

    public async Task Consume(ConsumeContext<OverageRecorded> context)
    {
        var overage = context.Message;
        var cancellationToken = context.CancellationToken;
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);

        bool alreadySent;
        string? customer, eventName;
        await SentMeterEvents.LockAsync(connection, transaction, overage.UsageRecordId, cancellationToken);
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
        var alreadyAtStripe = false;
        try
        {
            await sender.SendAsync(request, cancellationToken);
        }
        catch (MeterEventRejectedException e) when (SentMeterEvents.IsDuplicateIdentifier(e))
        {
            alreadyAtStripe = true;
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

        await SentMeterEvents.RecordAsync(connection, transaction, request, overage.TenantId, clock.GetUtcNow(), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        if (alreadyAtStripe)
        {
            metrics.AlreadyAtStripe();
            log.LogInformation("Stripe already has the meter event of usage record {UsageRecordId} (tenant {TenantId}, {EventName}): it refused the identifier " +
                               "as a duplicate; recorded as sent", overage.UsageRecordId, overage.TenantId, eventName);
            return;
        }
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
