using Microsoft.Extensions.Options;
using TenantQuota.Billing.Subscriptions;
using TenantQuota.Worker.Hosting;

namespace TenantQuota.Worker.Subscriptions;

/// <summary>What one housekeeping turn did.</summary>
public sealed record HousekeepingResult(IReadOnlyList<EventOutcome> EventsProcessed, IReadOnlyList<string> TenantsMoved);

/// <summary>
/// Billing work no webhook triggers, when the worker starts and then every
/// Worker:BillingHousekeepingInterval (0: never): acts on Stripe events stored but not acted on (the API
/// stored them, then failed before acting; Stripe's redelivery would also do it, later), then moves tenants
/// whose past-due grace period has ended to the free tier. Both are safe on several workers at once: events
/// are locked by row and tenants by their billing lock (<see cref="BillingSubscriptions"/>). Needs no Stripe call.
/// </summary>
public sealed class BillingHousekeeping(IServiceScopeFactory scopes, IOptions<WorkerSettings> settings, ILogger<BillingHousekeeping> log)
    : BackgroundService
{
    /// <summary>An event stored this recently may still be being acted on by the API that received it.</summary>
    public static readonly TimeSpan PendingEventAge = TimeSpan.FromMinutes(1);

    /// <summary>BillingSubscriptions.ProcessPendingAsync acts on at most this many per call.</summary>
    private const int PendingBatch = 100;

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Schedules.RunEveryAsync(settings.Value.BillingHousekeepingInterval, nameof(WorkerSettings.BillingHousekeepingInterval), RunOnceAsync, log, "Billing housekeeping", stoppingToken);

    public async Task<HousekeepingResult> RunOnceAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var subscriptions = scope.ServiceProvider.GetRequiredService<BillingSubscriptions>();
        var processed = new List<EventOutcome>();
        IReadOnlyList<EventOutcome> batch;
        do
        {
            batch = await subscriptions.ProcessPendingAsync(PendingEventAge, cancellationToken);
            processed.AddRange(batch);
        }
        while (batch.Count == PendingBatch && batch.Any(e => !e.AlreadyProcessed));
        foreach (var outcome in processed.Where(e => !e.AlreadyProcessed))
            log.LogInformation("Stripe event {EventId}, stored but not acted on, acted on now: {Outcome}", outcome.EventId, outcome.Outcome);

        var moved = await subscriptions.EnforceGraceAsync(cancellationToken);
        if (moved.Count > 0) log.LogInformation("Moved {Count} tenants whose payment grace period ended to the free tier: {Tenants}", moved.Count, string.Join(", ", moved));
        return new HousekeepingResult(processed, moved);
    }
}
