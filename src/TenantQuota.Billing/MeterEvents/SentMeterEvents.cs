using Npgsql;
using Stripe;

namespace TenantQuota.Billing.MeterEvents;

/// <summary>
/// billing_meter_events: the meter events Stripe has from us, one per usage record. The worker's
/// consumer and reconciliation both write it, each inside a transaction that holds the usage record's
/// lock (<see cref="LockAsync"/>) across the Stripe call, so the two never send one usage record at
/// the same time and each sees what the other recorded.
/// </summary>
public static class SentMeterEvents
{
    // The lock key space of "one usage record's meter event"; the two-int form keeps it apart from
    // the tenant locks of tq_consume and the migrator's lock (both single bigint keys).
    private const int LockSpace = 0x7451_4d45; // "tQME"

    private const string RecordSql = """
        INSERT INTO billing_meter_events (usage_record_id, tenant_id, stripe_customer_id, event_name, quantity, occurred_at, sent_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7)
        ON CONFLICT (usage_record_id) DO NOTHING
        """;

    /// <summary>
    /// Takes the usage record's lock until the transaction ends. Its own statement: what the caller
    /// reads next takes its snapshot once the lock is held, so it sees what the holder before committed.
    /// </summary>
    public static async Task LockAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, long usageRecordId, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT pg_advisory_xact_lock($1, hashint8($2))", connection, transaction);
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = LockSpace });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = usageRecordId });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public static async Task<bool> IsSentAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, long usageRecordId, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT EXISTS (SELECT 1 FROM billing_meter_events WHERE usage_record_id = $1)", connection, transaction);
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = usageRecordId });
        return await command.ExecuteScalarAsync(cancellationToken) is true;
    }

    /// <summary>Records that Stripe has the event (a second record of one usage record changes nothing) and drops its hold, if any.</summary>
    public static async Task RecordAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, MeterEventRequest sent, string tenantId,
        DateTimeOffset sentAt, CancellationToken cancellationToken)
    {
        await using (var record = new NpgsqlCommand(RecordSql, connection, transaction))
        {
            record.Parameters.Add(new NpgsqlParameter<long> { TypedValue = sent.UsageRecordId });
            record.Parameters.Add(new NpgsqlParameter<string> { TypedValue = tenantId });
            record.Parameters.Add(new NpgsqlParameter<string> { TypedValue = sent.StripeCustomerId });
            record.Parameters.Add(new NpgsqlParameter<string> { TypedValue = sent.EventName });
            record.Parameters.Add(new NpgsqlParameter<long> { TypedValue = sent.Quantity });
            record.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = sent.OccurredAt.ToUniversalTime() });
            record.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = sentAt.ToUniversalTime() });
            await record.ExecuteNonQueryAsync(cancellationToken);
        }
        await using var unhold = new NpgsqlCommand("DELETE FROM billing_overage_holds WHERE usage_record_id = $1", connection, transaction);
        unhold.Parameters.Add(new NpgsqlParameter<long> { TypedValue = sent.UsageRecordId });
        await unhold.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// Stripe refused the event because it already has one with this identifier: the event is there,
    /// which is what sending it was for, so callers record it as sent. Stripe's documentation does not
    /// say what a duplicate identifier answers; this matches what it is reported to answer and what
    /// LocalStripe answers (400 invalid_request_error, param identifier, "An event already exists with
    /// identifier …"). Only this test decides, so a change of wording at Stripe is a change here.
    /// </summary>
    public static bool IsDuplicateIdentifier(MeterEventRejectedException rejected) =>
        rejected.InnerException is StripeException { StripeError: { } error } e
        && (int)e.HttpStatusCode == 400
        && error.Type == "invalid_request_error"
        && error.Message is { } message
        && message.Contains("already exists", StringComparison.OrdinalIgnoreCase)
        && (error.Param == "identifier" || message.Contains("identifier", StringComparison.OrdinalIgnoreCase));
}
