namespace TenantQuota.Worker.Hosting;

/// <summary>
/// The loop of the worker's outbox-like services: run a batch; when it was full, go straight on; when it
/// failed (PostgreSQL or RabbitMQ away), back off 1, 2, 4 … up to 30 s; otherwise wait for the poll interval
/// or for <see cref="Wake"/>, whichever comes first. Nothing is timed to tune: an idle loop answers a wake-up
/// at once.
/// </summary>
public sealed class BatchLoop(string what, ILogger log) : IDisposable
{
    // Capacity 1: a wake-up while a batch runs is kept, never lost, and several collapse into one.
    private readonly SemaphoreSlim _wake = new(0, 1);

    /// <summary>New work may be waiting: look now instead of at the next poll.</summary>
    public void Wake()
    {
        try { _wake.Release(); }
        catch (SemaphoreFullException) { /* a wake-up is already pending */ }
    }

    /// <param name="batch">One batch; answers whether it was full (more may be waiting).</param>
    public async Task RunAsync(Func<CancellationToken, Task<bool>> batch, TimeSpan pollInterval, CancellationToken stoppingToken)
    {
        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            bool full;
            try
            {
                full = await batch(stoppingToken);
                failures = 0;
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                failures++;
                var delay = TimeSpan.FromSeconds(Math.Min(30, Math.Pow(2, Math.Min(failures, 5)) / 2));
                log.LogWarning(e, "{What} failed ({Failures} in a row); next attempt in {Delay}", what, failures, delay);
                await WaitAsync(delay, stoppingToken);
                continue;
            }
            if (!full) await WaitAsync(pollInterval, stoppingToken);
        }
    }

    private async Task WaitAsync(TimeSpan delay, CancellationToken stoppingToken)
    {
        try { await _wake.WaitAsync(delay, stoppingToken); }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { }
    }

    public void Dispose() => _wake.Dispose();
}
