using NodaTime;

namespace TenantQuota.Domain;

/// <summary>
/// One counting period of a quota cell: the half-open interval [<paramref name="Start"/>, <paramref name="End"/>).
/// Counters are keyed by <paramref name="Start"/>; <paramref name="End"/> is the next reset (the wire's <c>resetsAt</c>).
/// A rolling period is counted in buckets: <paramref name="Start"/> is the bucket now is in (where a request is
/// counted), and the period counts every bucket from <see cref="CountsFrom"/> to <paramref name="Start"/>.
/// </summary>
public readonly record struct QuotaWindow(Instant Start, Instant End)
{
    /// <summary>A rolling period is counted in this many buckets (5-minute buckets for rolling:5h).</summary>
    public const int RollingBuckets = 60;

    /// <summary>The longest a reservation may hold (its time to live): a rolling window looks this far back for holds.</summary>
    public static readonly Duration LongestHold = Duration.FromDays(1);

    /// <summary>
    /// The first bucket whose holds (reserved, not yet used) still count: a hold lives in the bucket it was made in
    /// and counts as used for everybody else until it is settled, even once that bucket has left a rolling window
    /// (up to <see cref="LongestHold"/> ago). <see cref="Start"/> for a calendar period.
    /// </summary>
    public Instant HoldsFrom { get; init; } = Start;

    /// <summary>The first bucket counted; <see cref="Start"/> itself for a calendar period.</summary>
    public Instant CountsFrom { get; init; } = Start;

    public bool IsRolling => CountsFrom != Start;

    /// <summary>
    /// The last bucket counted: <see cref="Start"/> for a calendar period; for a rolling one, any later bucket too,
    /// because a process whose clock runs ahead may already have counted there (counting it is the safe side).
    /// </summary>
    public Instant CountsTo => IsRolling ? Instant.MaxValue : Start;

    /// <summary>
    /// The period of a cell that contains <paramref name="now"/>: a calendar window in <paramref name="zone"/>, or for
    /// rolling:<paramref name="rollingHours"/>h the last that many hours in buckets of hours/60 (minutes, aligned to
    /// the Unix epoch, so every process agrees). A use leaves the period between N hours and N hours plus a bucket
    /// after it was counted: never early, so a rolling limit is never exceeded. <see cref="End"/> is when everything
    /// counted now has left.
    /// </summary>
    public static QuotaWindow Containing(Instant now, ResetCadence cadence, DateTimeZone zone, int rollingHours)
    {
        if (cadence != ResetCadence.Rolling) return Containing(now, cadence, zone);
        ArgumentOutOfRangeException.ThrowIfLessThan(rollingHours, 1);
        var length = Duration.FromHours(rollingHours);
        var bucket = length / RollingBuckets;
        var start = Instant.FromUnixTimeTicks(now.ToUnixTimeTicks() - now.ToUnixTimeTicks() % bucket.BclCompatibleTicks);
        return new QuotaWindow(start, start + bucket + length) { CountsFrom = start - length, HoldsFrom = start - LongestHold - bucket };
    }

    /// <summary>The window of <paramref name="cadence"/> in <paramref name="zone"/> that contains <paramref name="now"/>.</summary>
    public static QuotaWindow Containing(Instant now, ResetCadence cadence, DateTimeZone zone)
    {
        ArgumentNullException.ThrowIfNull(zone);
        if (cadence == ResetCadence.Rolling) throw new ArgumentException("A rolling period needs its hours.", nameof(cadence));

        // Periods are calendar dates in the tenant's zone, not fixed durations: a day across a DST
        // change lasts 23 or 25 hours, a month 28 to 31 days. So find the local start date, step to
        // the next period's start date on the calendar, and only then map both dates to instants.
        var today = now.InZone(zone).Date;
        var first = cadence switch
        {
            ResetCadence.Daily => today,
            ResetCadence.Weekly => today.With(DateAdjusters.PreviousOrSame(IsoDayOfWeek.Monday)),
            ResetCadence.Monthly => today.With(DateAdjusters.StartOfMonth),
            _ => throw new ArgumentOutOfRangeException(nameof(cadence), cadence, null),
        };
        var next = cadence switch
        {
            ResetCadence.Daily => first.PlusDays(1),
            ResetCadence.Weekly => first.PlusWeeks(1),
            _ => first.PlusMonths(1),
        };
        return new QuotaWindow(StartOfDay(first, zone), StartOfDay(next, zone));
    }

    /// <summary>The calendar month <paramref name="month"/> in <paramref name="zone"/>: the period a monthly window counts then.</summary>
    public static QuotaWindow OfMonth(YearMonth month, DateTimeZone zone) =>
        new(StartOfDay(month.OnDayOfMonth(1), zone), StartOfDay(month.PlusMonths(1).OnDayOfMonth(1), zone));

    // The first instant of a local day. Usually local midnight, but midnight can fall in a DST gap
    // (America/Havana 2026-03-08 jumps from 00:00 to 01:00), and then the day starts right after the
    // gap, as NodaTime's DateTimeZone.AtStartOfDay says. We map by hand rather than call
    // AtStartOfDay because that throws when a gap swallows a whole day (Pacific/Apia skipped
    // 2011-12-30), where "the first instant after the gap" is still the right period boundary.
    // An ambiguous midnight (a fall-back at 00:00) resolves to its earlier occurrence.
    private static Instant StartOfDay(LocalDate date, DateTimeZone zone)
    {
        var mapping = zone.MapLocal(date.AtMidnight());
        return mapping.Count == 0 ? mapping.LateInterval.Start : mapping.First().ToInstant();
    }
}
