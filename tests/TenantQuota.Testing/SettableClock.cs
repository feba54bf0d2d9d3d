namespace TenantQuota.Testing;

/// <summary>
/// A clock tests move by hand (Microsoft.Extensions.TimeProvider.Testing is not in our registry;
/// see docs/decisions/0005-time-provider-for-tests.md).
/// </summary>
public sealed class SettableClock(DateTimeOffset start) : TimeProvider
{
    private long _utcTicks = start.UtcTicks;

    public SettableClock() : this(DateTimeOffset.UtcNow) { }

    public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref _utcTicks), TimeSpan.Zero);

    public void Set(DateTimeOffset now) => Interlocked.Exchange(ref _utcTicks, now.UtcTicks);

    public void Set(string isoInstant) => Set(DateTimeOffset.Parse(isoInstant, global::System.Globalization.CultureInfo.InvariantCulture));

    public void Advance(TimeSpan by) => Interlocked.Add(ref _utcTicks, by.Ticks);
}
