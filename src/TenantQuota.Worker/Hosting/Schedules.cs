namespace TenantQuota.Worker.Hosting;

/// <summary>The wait between turns of the worker's periodic services.</summary>
internal static class Schedules
{
    /// <summary>False once the worker is stopping.</summary>
    public static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken stoppingToken)
    {
        try { return await timer.WaitForNextTickAsync(stoppingToken); }
        catch (OperationCanceledException) { return false; }
    }
}
