using Microsoft.Extensions.Options;
using Npgsql;
using TenantQuota.Billing;
using TenantQuota.Worker.Hosting;
using TenantQuota.Worker.Outbox;

namespace TenantQuota.Worker.Overage;

/// <summary>
/// Sends held overage once it can be sent: every Worker:HeldReleaseInterval it deletes the holds
/// whose tenant now has a Stripe customer and whose class now has a meter, and sets their outbox
/// rows pending again in the same transaction, so the dispatcher publishes them once more and the
/// consumer sends them (still idempotent on the usage record id). Off while billing is off here:
/// this worker's consumer would only hold them again.
/// </summary>
public sealed class HeldOverageReleaser(
    NpgsqlDataSource db, OutboxDispatcher dispatcher, IOptions<StripeSettings> stripe, IOptions<WorkerSettings> settings,
    WorkerMetrics metrics, ILogger<HeldOverageReleaser> log) : BackgroundService
{
    private const string ReleaseSql = """
        WITH released AS (
            DELETE FROM billing_overage_holds h
             USING billing_customers c, stripe_catalog m
             WHERE c.tenant_id = h.tenant_id AND m.kind = 'meter' AND m.key = h.operation_class AND m.event_name IS NOT NULL
            RETURNING h.usage_record_id)
        UPDATE billing_outbox o SET dispatched_at = NULL
          FROM released r
         WHERE o.usage_record_id = r.usage_record_id
        """;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!stripe.Value.Enabled)
        {
            log.LogWarning("Billing is off (no Stripe:SecretKey): overage is held and not released until a worker with billing on runs");
            return;
        }
        using var timer = new PeriodicTimer(settings.Value.HeldReleaseInterval);
        do
        {
            try
            {
                await ReleaseAsync(stoppingToken);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                log.LogWarning(e, "Releasing held overage failed; trying again in {Interval}", settings.Value.HeldReleaseInterval);
            }
        }
        while (await Schedules.WaitAsync(timer, stoppingToken));
    }

    /// <summary>One release pass; returns how many held usage records were set pending again.</summary>
    public async Task<int> ReleaseAsync(CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand(ReleaseSql);
        var released = await command.ExecuteNonQueryAsync(cancellationToken);
        if (released > 0)
        {
            metrics.Released(released);
            log.LogInformation("Released {Count} held overage records: their tenants have a Stripe customer and their classes a meter now", released);
            dispatcher.Wake();
        }
        return released;
    }
}
