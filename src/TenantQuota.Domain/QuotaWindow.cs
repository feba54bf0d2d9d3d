using NodaTime;

namespace TenantQuota.Domain;

/// <summary>
/// One counting period of a quota cell: the half-open interval [<paramref name="Start"/>, <paramref name="End"/>).
/// Counters are keyed by <paramref name="Start"/>; <paramref name="End"/> is the next reset (the wire's <c>resetsAt</c>).
/// </summary>
public readonly record struct QuotaWindow(Instant Start, Instant End)
{
    /// <summary>The window of <paramref name="cadence"/> in <paramref name="zone"/> that contains <paramref name="now"/>.</summary>
    public static QuotaWindow Containing(Instant now, ResetCadence cadence, DateTimeZone zone)
    {
        ArgumentNullException.ThrowIfNull(zone);

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
