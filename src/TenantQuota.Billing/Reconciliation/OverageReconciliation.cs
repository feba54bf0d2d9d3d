using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Stripe;
using Stripe.Billing;
using TenantQuota.Billing.MeterEvents;

namespace TenantQuota.Billing.Reconciliation;

/// <summary>
/// Checks that Stripe bills the overage we recorded, per customer, meter and UTC day, and sends what it
/// lacks. Ours is billing_outbox: every billable usage record, whether or not the pipeline delivered it.
/// Stripe's is its meter event summaries (grouped by day). Per day:
/// <list type="bullet">
/// <item>equal: nothing to do;</item>
/// <item>Stripe below ours: the day's usage records never recorded as sent are sent again through
/// <see cref="MeterEventSender"/> (same identifier, same Idempotency-Key); if Stripe is still short, so are
/// those recorded as sent less than <see cref="DedupeHorizon"/> ago, which Stripe's identifier dedupe
/// still guards. A duplicate-identifier refusal means Stripe has the event: recorded as sent. Usage
/// recorded as sent longer ago is never sent again (Stripe may have forgotten the identifier and would
/// bill it twice): reported for a person;</item>
/// <item>Stripe above ours: over-billing, logged as an error and reported, never "fixed".</item>
/// </list>
/// Each re-send runs like the worker's consumer, in a transaction holding the usage record's lock
/// (<see cref="SentMeterEvents"/>), so a delivery in flight and reconciliation never both send one record.
/// Unsent overage older than the window is reported: recoverable (a run with more days sends it) or not
/// (older than Stripe's 35 days). One run at a time across processes (an advisory lock).
/// </summary>
public sealed class OverageReconciliation(
    IStripeClient stripe, NpgsqlDataSource db, MeterEventSender sender, IOptions<StripeSettings> settings, TimeProvider clock,
    ILogger<OverageReconciliation> log)
{
    private const int LockClass = 74523; // pg_advisory_lock(74523, 0): one reconciliation at a time

    /// <summary>
    /// Stripe refuses an identifier it has seen for at least 24 hours from when it received it; our sent_at
    /// is after Stripe received it, so an hour less leaves a margin. Inside it a second send cannot bill twice.
    /// </summary>
    public static readonly TimeSpan DedupeHorizon = TimeSpan.FromHours(23);

    /// <summary>Stripe takes meter events with a timestamp up to 35 days old.</summary>
    public static readonly TimeSpan StripeMaxAge = TimeSpan.FromDays(35);

    private const string OursSql = """
        SELECT o.tenant_id, o.operation_class, c.stripe_customer_id, m.stripe_id AS meter_id, m.event_name,
               (o.occurred_at AT TIME ZONE 'UTC')::date AS day, sum(o.quantity)::bigint AS quantity, count(*)::int AS records
          FROM billing_outbox o
          LEFT JOIN billing_customers c ON c.tenant_id = o.tenant_id
          LEFT JOIN stripe_catalog m ON m.kind = 'meter' AND m.key = o.operation_class AND m.event_name IS NOT NULL
         WHERE o.occurred_at >= $1 AND o.occurred_at < $2
         GROUP BY o.tenant_id, o.operation_class, c.stripe_customer_id, m.stripe_id, m.event_name, day
         ORDER BY o.tenant_id, o.operation_class, day
        """;

    private const string DaySql = """
        SELECT o.usage_record_id, o.quantity, o.occurred_at, e.sent_at
          FROM billing_outbox o
          LEFT JOIN billing_meter_events e ON e.usage_record_id = o.usage_record_id
         WHERE o.tenant_id = $1 AND o.operation_class = $2 AND o.occurred_at >= $3 AND o.occurred_at < $4
         ORDER BY o.usage_record_id
        """;

    private const string UnsentBeforeSql = """
        SELECT o.tenant_id, o.operation_class, count(*)::int AS records, sum(o.quantity)::bigint AS quantity,
               min(o.occurred_at) AS oldest, o.occurred_at > $2 AS recoverable
          FROM billing_outbox o
         WHERE o.occurred_at < $1
           AND NOT EXISTS (SELECT 1 FROM billing_meter_events e WHERE e.usage_record_id = o.usage_record_id)
           AND NOT EXISTS (SELECT 1 FROM billing_overage_holds h WHERE h.usage_record_id = o.usage_record_id)
         GROUP BY o.tenant_id, o.operation_class, recoverable
         ORDER BY o.tenant_id, o.operation_class, recoverable DESC
        """;

    private readonly MeterEventSummaryService _summaries = new(stripe);

    /// <summary>Reconciles once, waiting while another process reconciles.</summary>
    public async Task<ReconciliationResult> RunAsync(ReconciliationWindow window, CancellationToken cancellationToken) =>
        await RunLockedAsync(window, wait: true, cancellationToken) ?? throw new UnreachableException();

    /// <summary>Reconciles once, or returns null at once when another process is reconciling.</summary>
    public Task<ReconciliationResult?> TryRunAsync(ReconciliationWindow window, CancellationToken cancellationToken) =>
        RunLockedAsync(window, wait: false, cancellationToken);

    private async Task<ReconciliationResult?> RunLockedAsync(ReconciliationWindow window, bool wait, CancellationToken cancellationToken)
    {
        if (window.Problem("the number of days") is { } problem) throw new ArgumentException(problem, nameof(window));
        if (!settings.Value.Enabled) throw new InvalidOperationException("Billing is off: set Stripe:SecretKey (env Stripe__SecretKey) to reconcile with Stripe.");

        // A session lock on a connection of its own, held for the run; it goes with the connection if we die.
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await using (var take = new NpgsqlCommand(wait ? $"SELECT pg_advisory_lock({LockClass}, 0)" : $"SELECT pg_try_advisory_lock({LockClass}, 0)", connection))
        {
            if (await take.ExecuteScalarAsync(cancellationToken) is false) return null;
        }
        try
        {
            return await ReconcileAsync(window, cancellationToken);
        }
        finally
        {
            await using var release = new NpgsqlCommand($"SELECT pg_advisory_unlock({LockClass}, 0)", connection);
            await release.ExecuteNonQueryAsync(CancellationToken.None);
        }
    }

    private async Task<ReconciliationResult> ReconcileAsync(ReconciliationWindow window, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var to = FloorToMinute(now - window.SettleTime);
        var from = StartOf(DayOf(to).AddDays(1 - window.Days));
        log.LogInformation("Reconciling overage with Stripe from {From:u} to {To:u}", from, to);

        var ours = await ReadOursAsync(from, to, cancellationToken);
        var days = new List<DayReconciliation>();
        foreach (var usage in ours.Where(d => d.Target is not null).GroupBy(d => d.Target!))
        {
            var target = usage.Key;
            var theirs = await StripeDaysAsync(target, from, to, cancellationToken);
            var mine = usage.ToDictionary(d => d.Day, d => d.Quantity);
            foreach (var day in mine.Keys.Union(theirs.Where(t => t.Value != 0).Select(t => t.Key)).Order())
                days.Add(await ReconcileDayAsync(target, day, mine.GetValueOrDefault(day), theirs.GetValueOrDefault(day), now, to, cancellationToken));
        }
        var notComparable = ours.Where(d => d.Target is null).Sum(d => d.Records);
        var outside = await ReadUnsentBeforeAsync(from, now - StripeMaxAge, cancellationToken);
        foreach (var unsent in outside)
            log.LogError("Reconciliation: {Records} usage records of tenant {TenantId} ({OperationClass}, {Quantity} units, oldest {Oldest:u}) are older than the window and were never sent to Stripe; {Advice}",
                unsent.Records, unsent.TenantId, unsent.OperationClass, unsent.Quantity, unsent.Oldest,
                unsent.Recoverable ? "reconcile with more days to send them" : "they are older than Stripe's 35 days and can no longer be billed through the meter");

        var result = new ReconciliationResult(from, to, days, outside, notComparable);
        log.Log(result.DriftRemains ? LogLevel.Warning : LogLevel.Information,
            "Reconciliation from {From:u} to {To:u}: {Compared} customer-days compared, {Healed} healed ({Resent} usage records re-sent), {Missing} still short, {Excess} over-billed, {Outside} groups unsent before the window, {NotComparable} records waiting for a customer or meter",
            from, to, days.Count, days.Count(d => d.Outcome == DayOutcome.Healed), days.Sum(d => d.Resent.Count),
            days.Count(d => d.Outcome == DayOutcome.Missing), days.Count(d => d.Outcome == DayOutcome.Excess), outside.Count, notComparable);
        return result;
    }

    private async Task<DayReconciliation> ReconcileDayAsync(Target target, DateOnly day, long ours, decimal before, DateTimeOffset now, DateTimeOffset to,
        CancellationToken cancellationToken)
    {
        DayReconciliation Report(decimal after, DayOutcome outcome, List<long>? resent = null, List<long>? already = null, List<long>? notSent = null,
            List<long>? recordedAsSent = null) =>
            new(target.TenantId, target.OperationClass, target.CustomerId, target.MeterId, day, ours, before, after,
                resent ?? [], already ?? [], notSent ?? [], recordedAsSent ?? [], outcome);

        if (before == ours) return Report(before, DayOutcome.Matches);
        if (before > ours)
        {
            log.LogError("ALERT billing: Stripe bills customer {CustomerId} (tenant {TenantId}) {Stripe} units of {EventName} on {Day:yyyy-MM-dd}, we recorded {Ours}: over-billing. " +
                         "Not changed by reconciliation; check the meter's events in Stripe and adjust the invoice.",
                target.CustomerId, target.TenantId, before, target.EventName, day, ours);
            return Report(before, DayOutcome.Excess);
        }

        log.LogWarning("Stripe bills customer {CustomerId} (tenant {TenantId}) {Stripe} units of {EventName} on {Day:yyyy-MM-dd}, we recorded {Ours}: sending what it lacks",
            target.CustomerId, target.TenantId, before, target.EventName, day, ours);
        var start = StartOf(day);
        var end = Min(start.AddDays(1), to);
        var records = await ReadDayAsync(target, start, end, cancellationToken);
        List<long> resent = [], already = [], notSent = [];
        var after = before;

        // First what the pipeline never recorded as sent: what is most likely missing.
        var unsent = records.Where(r => r.SentAt is null).ToList();
        foreach (var record in unsent)
            Sort(await ResendAsync(target, record, onlyIfUnsent: true, cancellationToken), record.Id);
        if (unsent.Count > 0) after = await StripeTotalAsync(target, start, end, cancellationToken);

        // Then what was recorded as sent recently enough for Stripe to refuse it if it has it.
        var guarded = records.Where(r => r.SentAt > now - DedupeHorizon).ToList();
        if (after < ours && guarded.Count > 0)
        {
            foreach (var record in guarded)
                Sort(await ResendAsync(target, record, onlyIfUnsent: false, cancellationToken), record.Id);
            after = await StripeTotalAsync(target, start, end, cancellationToken);
        }

        var outcome = after == ours ? DayOutcome.Healed : after > ours ? DayOutcome.Excess : DayOutcome.Missing;
        var recordedAsSent = outcome == DayOutcome.Missing ? records.Where(r => r.SentAt <= now - DedupeHorizon).Select(r => r.Id).ToList() : [];
        switch (outcome)
        {
            case DayOutcome.Healed:
                log.LogInformation("Reconciled customer {CustomerId} (tenant {TenantId}) {EventName} on {Day:yyyy-MM-dd}: {Resent} usage records re-sent, {Already} were at Stripe already; Stripe bills {Ours} units now",
                    target.CustomerId, target.TenantId, target.EventName, day, resent.Count, already.Count, ours);
                break;
            case DayOutcome.Missing:
                log.LogError("ALERT billing: Stripe still bills customer {CustomerId} (tenant {TenantId}) {Stripe} units of {EventName} on {Day:yyyy-MM-dd}, we recorded {Ours}; " +
                             "{NotSent} usage records could not be sent (see the errors above), {RecordedAsSent} were confirmed by Stripe more than {Horizon} ago and are not sent again " +
                             "(Stripe may have forgotten their identifiers and would bill them twice). Check the meter's error reports in Stripe.",
                    target.CustomerId, target.TenantId, after, target.EventName, day, ours, notSent.Count, recordedAsSent.Count, DedupeHorizon);
                break;
            case DayOutcome.Excess:
                log.LogError("ALERT billing: after re-sending, Stripe bills customer {CustomerId} (tenant {TenantId}) {Stripe} units of {EventName} on {Day:yyyy-MM-dd}, we recorded {Ours}: over-billing. " +
                             "Check the meter's events in Stripe and adjust the invoice.",
                    target.CustomerId, target.TenantId, after, target.EventName, day, ours);
                break;
        }
        return Report(after, outcome, resent, already, notSent, recordedAsSent);

        void Sort(ResendOutcome sent, long id) =>
            (sent switch { ResendOutcome.Taken => resent, ResendOutcome.AlreadyAtStripe => already, _ => notSent }).Add(id);
    }

    private enum ResendOutcome { Taken, AlreadyAtStripe, NotSent }

    /// <summary>Sends one usage record's meter event again, as the consumer would, and records it as sent when Stripe has it.</summary>
    private async Task<ResendOutcome> ResendAsync(Target target, UsageRecord record, bool onlyIfUnsent, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await SentMeterEvents.LockAsync(connection, transaction, record.Id, cancellationToken);
        if (onlyIfUnsent && await SentMeterEvents.IsSentAsync(connection, transaction, record.Id, cancellationToken))
        {
            await transaction.CommitAsync(cancellationToken);
            return ResendOutcome.AlreadyAtStripe; // the pipeline sent it meanwhile
        }

        var request = new MeterEventRequest(record.Id, target.CustomerId, target.EventName, record.Quantity, record.OccurredAt);
        var outcome = ResendOutcome.Taken;
        try
        {
            await sender.SendAsync(request, cancellationToken);
        }
        catch (MeterEventRejectedException e) when (SentMeterEvents.IsDuplicateIdentifier(e))
        {
            outcome = ResendOutcome.AlreadyAtStripe;
        }
        catch (MeterEventException e)
        {
            // Refused (4xx) or Stripe unavailable for this one: the day stays short and the next run tries again.
            log.LogError("Reconciliation could not send the meter event of usage record {UsageRecordId} (tenant {TenantId}, {EventName}, {Quantity}): HTTP {Status}, type {ErrorType}, code {ErrorCode}, request {RequestId}: {Message}",
                record.Id, target.TenantId, target.EventName, record.Quantity, e.HttpStatus, e.ErrorType, e.ErrorCode, e.RequestId, e.Message);
            return ResendOutcome.NotSent;
        }
        await SentMeterEvents.RecordAsync(connection, transaction, request, target.TenantId, clock.GetUtcNow(), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return outcome;
    }

    /// <summary>
    /// Stripe's totals per UTC day: whole days grouped by day, today (up to <paramref name="to"/>) on its own,
    /// so each query's bounds are whole days or whole minutes whatever Stripe asks of a grouped query.
    /// </summary>
    private async Task<Dictionary<DateOnly, decimal>> StripeDaysAsync(Target target, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        var totals = new Dictionary<DateOnly, decimal>();
        var today = StartOf(DayOf(to));
        if (from < today)
        {
            var options = new MeterEventSummaryListOptions
            {
                Customer = target.CustomerId, StartTime = from.UtcDateTime, EndTime = today.UtcDateTime, ValueGroupingWindow = "day", Limit = 100,
            };
            await foreach (var summary in _summaries.ListAutoPagingAsync(target.MeterId, options, cancellationToken: cancellationToken).WithCancellation(cancellationToken))
            {
                var day = DayOf(new DateTimeOffset(DateTime.SpecifyKind(summary.StartTime, DateTimeKind.Utc)));
                totals[day] = totals.GetValueOrDefault(day) + (decimal)summary.AggregatedValue;
            }
        }
        if (to > today) totals[DayOf(today)] = await StripeTotalAsync(target, today, to, cancellationToken);
        return totals;
    }

    private async Task<decimal> StripeTotalAsync(Target target, DateTimeOffset start, DateTimeOffset end, CancellationToken cancellationToken)
    {
        var options = new MeterEventSummaryListOptions { Customer = target.CustomerId, StartTime = start.UtcDateTime, EndTime = end.UtcDateTime };
        var total = 0m;
        await foreach (var summary in _summaries.ListAutoPagingAsync(target.MeterId, options, cancellationToken: cancellationToken).WithCancellation(cancellationToken))
            total += (decimal)summary.AggregatedValue;
        return total;
    }

    /// <summary>Who and which meter to ask Stripe about; null when the tenant has no Stripe customer or the class no meter yet.</summary>
    private sealed record Target(string TenantId, string OperationClass, string CustomerId, string MeterId, string EventName);

    private sealed record OurDay(Target? Target, DateOnly Day, long Quantity, int Records);

    private sealed record UsageRecord(long Id, long Quantity, DateTimeOffset OccurredAt, DateTimeOffset? SentAt);

    private async Task<List<OurDay>> ReadOursAsync(DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand(OursSql);
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = from });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = to });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var days = new List<OurDay>();
        while (await reader.ReadAsync(cancellationToken))
        {
            string? Text(string column) => reader.IsDBNull(reader.GetOrdinal(column)) ? null : reader.GetString(reader.GetOrdinal(column));
            var (customer, meter, eventName) = (Text("stripe_customer_id"), Text("meter_id"), Text("event_name"));
            var target = customer is null || meter is null || eventName is null
                ? null
                : new Target(Text("tenant_id")!, Text("operation_class")!, customer, meter, eventName);
            days.Add(new OurDay(target, reader.GetFieldValue<DateOnly>(reader.GetOrdinal("day")),
                reader.GetInt64(reader.GetOrdinal("quantity")), reader.GetInt32(reader.GetOrdinal("records"))));
        }
        return days;
    }

    private async Task<List<UsageRecord>> ReadDayAsync(Target target, DateTimeOffset start, DateTimeOffset end, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand(DaySql);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = target.TenantId });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = target.OperationClass });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = start });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = end });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var records = new List<UsageRecord>();
        while (await reader.ReadAsync(cancellationToken))
        {
            var sentAt = reader.GetOrdinal("sent_at");
            records.Add(new UsageRecord(reader.GetInt64(reader.GetOrdinal("usage_record_id")), reader.GetInt64(reader.GetOrdinal("quantity")),
                reader.GetFieldValue<DateTimeOffset>(reader.GetOrdinal("occurred_at")),
                reader.IsDBNull(sentAt) ? null : reader.GetFieldValue<DateTimeOffset>(sentAt)));
        }
        return records;
    }

    private async Task<List<UnsentOverage>> ReadUnsentBeforeAsync(DateTimeOffset before, DateTimeOffset recoverableAfter, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand(UnsentBeforeSql);
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = before });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = recoverableAfter });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var unsent = new List<UnsentOverage>();
        while (await reader.ReadAsync(cancellationToken))
            unsent.Add(new UnsentOverage(reader.GetString(reader.GetOrdinal("tenant_id")), reader.GetString(reader.GetOrdinal("operation_class")),
                reader.GetInt32(reader.GetOrdinal("records")), reader.GetInt64(reader.GetOrdinal("quantity")),
                reader.GetFieldValue<DateTimeOffset>(reader.GetOrdinal("oldest")), reader.GetBoolean(reader.GetOrdinal("recoverable"))));
        return unsent;
    }

    private static DateOnly DayOf(DateTimeOffset time) => DateOnly.FromDateTime(time.UtcDateTime);

    private static DateTimeOffset StartOf(DateOnly day) => new(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);

    private static DateTimeOffset FloorToMinute(DateTimeOffset time) => new(time.UtcTicks - time.UtcTicks % TimeSpan.TicksPerMinute, TimeSpan.Zero);

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;
}
