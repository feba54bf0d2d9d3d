using Microsoft.Extensions.Options;
using TenantQuota.Billing;
using TenantQuota.Billing.Reconciliation;
using TenantQuota.Worker.Hosting;

namespace TenantQuota.Worker.Reconciliation;

/// <summary>
/// Reconciles our overage with Stripe (<see cref="OverageReconciliation"/>) when the worker starts and then
/// every Worker:ReconcileInterval (0: never). Several workers may run: the one that gets the advisory lock
/// reconciles, the others skip that turn. A failed run (PostgreSQL or Stripe away) is logged and the next
/// turn tries again. Off while billing is off here.
/// </summary>
public sealed class ReconciliationSchedule(
    OverageReconciliation reconciliation, IOptions<StripeSettings> stripe, IOptions<WorkerSettings> settings, ILogger<ReconciliationSchedule> log)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = settings.Value.ReconcileInterval;
        if (interval == TimeSpan.Zero)
        {
            log.LogInformation("Reconciliation with Stripe is off (Worker:ReconcileInterval is 0); run the reconcile verb instead");
            return;
        }
        if (!stripe.Value.Enabled)
        {
            log.LogWarning("Billing is off (no Stripe:SecretKey): overage is not reconciled with Stripe");
            return;
        }
        using var timer = new PeriodicTimer(interval);
        do
        {
            try
            {
                await RunOnceAsync(stoppingToken);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                log.LogWarning(e, "Reconciliation with Stripe failed; trying again in {Interval}", interval);
            }
        }
        while (await Schedules.WaitAsync(timer, stoppingToken));
    }

    /// <summary>One turn; null when another worker was reconciling.</summary>
    public async Task<ReconciliationResult?> RunOnceAsync(CancellationToken cancellationToken)
    {
        var result = await reconciliation.TryRunAsync(settings.Value.ReconciliationWindow, cancellationToken);
        if (result is null) log.LogInformation("Reconciliation skipped: another worker is reconciling now");
        return result;
    }
}
