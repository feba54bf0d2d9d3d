namespace TenantQuota.Worker.Hosting;

/// <summary>The wait between turns of the worker's periodic services.</summary>
internal static class Schedules
{
    /// <summary>
    /// Runs <paramref name="turn"/> now and then every <paramref name="interval"/> until the worker stops; a turn that
    /// fails (PostgreSQL away, say) is logged and the next one tries again.
    /// </summary>
    /// <param name="setting">The Worker: setting that gave the interval; 0 turns the service off, which is logged.</param>
    public static async Task RunEveryAsync(
        TimeSpan interval, string setting, Func<CancellationToken, Task> turn, ILogger log, string what, CancellationToken stoppingToken)
    {
        if (interval == TimeSpan.Zero)
        {
            log.LogInformation("{What} is off (Worker:{Setting} is 0)", what, setting);
            return;
        }
        using var timer = new PeriodicTimer(interval);
        do
        {
            try { await turn(stoppingToken); }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                log.LogWarning(e, "{What} failed; trying again in {Interval}", what, interval);
            }
        }
        while (await WaitAsync(timer, stoppingToken));
    }

    /// <summary>
    /// One turn over the tenants <paramref name="tenantsSql"/> selects: each is evaluated on its own, so one tenant's failure
    /// (a bad row, say) is logged and does not stop the tenants after it. Answers the sum of what the evaluations answered.
    /// </summary>
    public static async Task<int> EachTenantAsync(
        Npgsql.NpgsqlDataSource db, string tenantsSql, Func<string, CancellationToken, Task<int>> evaluate, ILogger log, string what, CancellationToken cancellationToken)
    {
        var tenantIds = new List<string>();
        await using (var command = db.CreateCommand(tenantsSql))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
            while (await reader.ReadAsync(cancellationToken)) tenantIds.Add(reader.GetString(0));
        var sum = 0;
        foreach (var tenantId in tenantIds)
        {
            try { sum += await evaluate(tenantId, cancellationToken); }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                log.LogWarning(e, "{What} of tenant {Tenant} failed; the next turn tries again", what, tenantId);
            }
        }
        return sum;
    }

    /// <summary>False once the worker is stopping.</summary>
    public static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken stoppingToken)
    {
        try { return await timer.WaitForNextTickAsync(stoppingToken); }
        catch (OperationCanceledException) { return false; }
    }
}
