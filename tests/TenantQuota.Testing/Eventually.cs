namespace TenantQuota.Testing;

/// <summary>Polls a condition until it holds or a deadline passes: how tests wait for the pipeline, never with a fixed sleep.</summary>
public static class Eventually
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    public static async Task<T> Until<T>(Func<Task<T>> probe, Func<T, bool> done, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? DefaultTimeout);
        while (true)
        {
            var value = await probe();
            if (done(value)) return value;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Waited {(timeout ?? DefaultTimeout).TotalSeconds:F0} s for {what}; last seen: {value}");
            await Task.Delay(50);
        }
    }
}
