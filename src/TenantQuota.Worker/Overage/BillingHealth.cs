using System.Data;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Npgsql;
using TenantQuota.Worker.Hosting;

namespace TenantQuota.Worker.Overage;

/// <summary>GET /billing/health: is overage reaching Stripe? Numbers for people and monitors.</summary>
/// <param name="Status">"healthy", or "degraded" with <paramref name="Alerts"/> saying why.</param>
/// <param name="ErrorQueueDepth">Messages in the error queue: poison (Stripe refused them) or retries exhausted. Lasting; needs a person.</param>
/// <param name="PoisonedSinceStart">Messages this process sent to the error queue since it started.</param>
/// <param name="HeldCount">Overage waiting for a Stripe customer or a meter (never dropped).</param>
/// <param name="OldestPendingAgeSeconds">Age of the oldest outbox row not yet published, or null when none waits.</param>
public sealed record BillingHealth(
    string Status,
    string ErrorQueue,
    long ErrorQueueDepth,
    long PoisonedSinceStart,
    long HeldCount,
    DateTimeOffset? OldestHeldAt,
    long PendingCount,
    double? OldestPendingAgeSeconds,
    IReadOnlyList<string> Alerts);

public static class BillingHealthEndpoint
{
    /// <summary>Stripe accepts meter events up to 35 days old: a hold older than this needs a person.</summary>
    public static readonly TimeSpan HeldAgeAlert = TimeSpan.FromDays(7);

    private const string StateSql = """
        SELECT (SELECT count(*) FROM billing_outbox WHERE dispatched_at IS NULL) AS pending,
               (SELECT now() - occurred_at FROM billing_outbox WHERE dispatched_at IS NULL ORDER BY usage_record_id LIMIT 1) AS oldest_pending_age,
               (SELECT count(*) FROM billing_overage_holds) AS held,
               (SELECT min(held_at) FROM billing_overage_holds) AS oldest_held_at,
               now() AS db_now
        """;

    public static async Task<Results<Ok<BillingHealth>, ProblemHttpResult>> Handle(
        NpgsqlDataSource db, BrokerConnection broker, WorkerMetrics metrics, IOptions<WorkerSettings> options, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var errorQueue = settings.OverageQueue + "_error";
        long pending, held, depth;
        TimeSpan? oldestPendingAge;
        DateTimeOffset? oldestHeldAt;
        DateTimeOffset now;
        try
        {
            await using var command = db.CreateCommand(StateSql);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            pending = reader.GetInt64("pending");
            oldestPendingAge = reader.IsDBNull("oldest_pending_age") ? null : reader.GetFieldValue<TimeSpan>("oldest_pending_age");
            held = reader.GetInt64("held");
            oldestHeldAt = reader.IsDBNull("oldest_held_at") ? null : reader.GetFieldValue<DateTimeOffset>("oldest_held_at");
            now = reader.GetFieldValue<DateTimeOffset>("db_now");
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            return TypedResults.Problem("PostgreSQL is not reachable: billing state unknown.", statusCode: StatusCodes.Status503ServiceUnavailable);
        }
        try
        {
            depth = await broker.MessageCountAsync(errorQueue, cancellationToken);
        }
        catch (Exception e) when (e is RabbitMQ.Client.Exceptions.RabbitMQClientException or RabbitMQ.Client.Exceptions.OperationInterruptedException or IOException or TimeoutException)
        {
            return TypedResults.Problem("RabbitMQ is not reachable: the error queue's depth is unknown.", statusCode: StatusCodes.Status503ServiceUnavailable);
        }

        var alerts = new List<string>();
        if (depth > 0) alerts.Add($"{depth} message(s) in {errorQueue}: Stripe refused them or stayed unavailable; see the worker's error log, fix, then move them back to {settings.OverageQueue}.");
        var poisoned = metrics.PoisonedSinceStart;
        if (poisoned > 0) alerts.Add($"{poisoned} message(s) went to {errorQueue} since this worker started.");
        if (oldestPendingAge > settings.OutboxAgeAlert) alerts.Add($"The oldest unpublished outbox row is {oldestPendingAge.Value.TotalSeconds:F0} s old: is RabbitMQ reachable?");
        if (now - oldestHeldAt > HeldAgeAlert) alerts.Add($"Overage held since {oldestHeldAt:u}: Stripe accepts meter events only up to 35 days old; give those tenants a Stripe customer.");

        return TypedResults.Ok(new BillingHealth(
            alerts.Count == 0 ? "healthy" : "degraded", errorQueue, depth, poisoned, held, oldestHeldAt, pending, oldestPendingAge?.TotalSeconds, alerts));
    }
}
