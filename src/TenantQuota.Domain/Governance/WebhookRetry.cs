namespace TenantQuota.Domain.Governance;

/// <summary>
/// When a webhook delivery is tried again: 30 s after the first failure, doubling up to an hour between tries,
/// for 25 hours from the first attempt (the contract promises at least 24); after that it is given up.
/// </summary>
public static class WebhookRetry
{
    public static readonly TimeSpan First = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan Longest = TimeSpan.FromHours(1);
    public static readonly TimeSpan Period = TimeSpan.FromHours(25);

    /// <summary>The next try after <paramref name="failedAttempts"/> failures (1 or more), or null when the period is over.</summary>
    public static DateTimeOffset? Next(int failedAttempts, DateTimeOffset firstAttemptAt, DateTimeOffset now)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(failedAttempts, 1);
        var wait = failedAttempts >= 8 ? Longest : TimeSpan.FromTicks(Math.Min(Longest.Ticks, First.Ticks << (failedAttempts - 1)));
        var next = now + wait;
        return next - firstAttemptAt <= Period ? next : null;
    }
}
