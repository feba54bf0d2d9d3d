using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace TenantQuota.Client.AspNetCore;

/// <summary>
/// Offers the consumes a fail-open class allowed during an outage to TenantQuota again, every
/// <see cref="TenantQuotaEndpointOptions.ReplayInterval"/> while there are any; while the circuit is open the pass
/// stops at once (or is the probe that closes it).
/// </summary>
internal sealed partial class JournalReplayer(TenantQuotaClient client, TenantQuotaEndpointOptions options, ILogger<JournalReplayer> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.ReplayInterval);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            if (client.Journal.Count == 0) continue;
            try
            {
                if (await client.ReplayJournalAsync(stoppingToken) is { } pass)
                    Replayed(pass.Recorded, pass.AlreadyRecorded, pass.Refused, pass.Rejected, pass.Expired, pass.Left);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The journal keeps what was not answered; the next tick tries again.
                ReplayFailed(e);
            }
        }
    }

    /// <summary>One last pass as the host stops (within its shutdown time), so a journal kept in memory is not lost when it need not be.</summary>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        if (client.Journal.Count == 0) return;
        try
        {
            if (await client.ReplayJournalAsync(cancellationToken) is { } pass)
                Replayed(pass.Recorded, pass.AlreadyRecorded, pass.Refused, pass.Rejected, pass.Expired, pass.Left);
        }
        catch (OperationCanceledException)
        {
            // Out of shutdown time: what is left stays journaled (in the file, when there is one).
        }
        catch (Exception e)
        {
            ReplayFailed(e);
        }
    }

    [LoggerMessage(LogLevel.Information, "Outage journal replayed: {Recorded} recorded, {AlreadyRecorded} already recorded, {Refused} refused (over-granted during the outage), {Rejected} rejected, {Expired} expired, {Left} left")]
    private partial void Replayed(int recorded, int alreadyRecorded, int refused, int rejected, int expired, int left);

    [LoggerMessage(LogLevel.Warning, "Outage journal replay failed")]
    private partial void ReplayFailed(Exception exception);
}
