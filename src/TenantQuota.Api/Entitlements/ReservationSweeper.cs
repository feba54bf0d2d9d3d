using Microsoft.Extensions.Options;
using NodaTime;
using TenantQuota.Api.Hosting;
using TenantQuota.Data;

namespace TenantQuota.Api.Entitlements;

/// <summary>
/// Frees the holds of expired reservations without any request arriving: every API process sweeps on a
/// timer, sharing the work through SKIP LOCKED (Functions/tq_expire_reservations.sql). A held amount stays
/// counted until then, so between expiry and the sweep the limit is, if anything, stricter: it never over-grants.
/// </summary>
public sealed class ReservationSweeper(QuotaLedger ledger, TimeProvider clock, IOptions<QuotaSettings> settings, ILogger<ReservationSweeper> logger)
    : BackgroundService
{
    private const int Batch = 500;

    /// <summary>Frees every reservation expired by now; answers how many.</summary>
    public async Task<int> SweepAsync(CancellationToken cancellationToken)
    {
        var total = 0;
        int freed;
        do
        {
            freed = await ledger.ExpireReservationsAsync(Instant.FromDateTimeOffset(clock.GetUtcNow()), Batch, cancellationToken);
            total += freed;
        } while (freed == Batch);
        return total;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (settings.Value.ReservationSweepSeconds <= 0) return;
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(settings.Value.ReservationSweepSeconds));
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                if (await SweepAsync(stoppingToken) is > 0 and var freed)
                    logger.LogInformation("Freed the holds of {Count} expired reservations", freed);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The database may be away; the next tick tries again, and nothing is lost: the holds stay counted.
                logger.LogWarning(e, "Sweeping expired reservations failed; trying again in {Seconds} s", settings.Value.ReservationSweepSeconds);
            }
        }
    }
}
