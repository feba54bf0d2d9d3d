using NodaTime;
using NodaTime.Text;
using TenantQuota.Domain;

namespace TenantQuota.Domain.Tests;

// Every expected instant below was worked out by hand from the zone's known offsets
// (e.g. New York is -05:00 in winter, -04:00 in summer; Madrid +01:00 / +02:00), never by
// running the code under test. Day-of-week facts used: 2026-01-01 is a Thursday, so
// 2026-03-02, 2026-05-11, 2026-06-29, 2026-10-26 and 2026-12-28 are Mondays.
public class QuotaWindowTests
{
    private static Instant At(string iso) => InstantPattern.ExtendedIso.Parse(iso).Value;

    private static DateTimeZone Zone(string id) => DateTimeZoneProviders.Tzdb[id];

    private static QuotaWindow Window(string zone, ResetCadence cadence, string now) =>
        QuotaWindow.Containing(At(now), cadence, Zone(zone));

    [Theory]
    // UTC: local time is UTC time. 2026-05-13 is a Wednesday.
    [InlineData("UTC", ResetCadence.Daily, "2026-05-13T15:30:00Z", "2026-05-13T00:00:00Z", "2026-05-14T00:00:00Z")]
    [InlineData("UTC", ResetCadence.Weekly, "2026-05-13T15:30:00Z", "2026-05-11T00:00:00Z", "2026-05-18T00:00:00Z")]
    [InlineData("UTC", ResetCadence.Monthly, "2026-05-13T15:30:00Z", "2026-05-01T00:00:00Z", "2026-06-01T00:00:00Z")]
    // Madrid in summer (+02:00): 12:00 local on Wednesday 2026-07-15.
    [InlineData("Europe/Madrid", ResetCadence.Daily, "2026-07-15T10:00:00Z", "2026-07-14T22:00:00Z", "2026-07-15T22:00:00Z")]
    [InlineData("Europe/Madrid", ResetCadence.Weekly, "2026-07-15T10:00:00Z", "2026-07-12T22:00:00Z", "2026-07-19T22:00:00Z")]
    [InlineData("Europe/Madrid", ResetCadence.Monthly, "2026-07-15T10:00:00Z", "2026-06-30T22:00:00Z", "2026-07-31T22:00:00Z")]
    // Madrid in winter (+01:00).
    [InlineData("Europe/Madrid", ResetCadence.Daily, "2026-01-20T12:00:00Z", "2026-01-19T23:00:00Z", "2026-01-20T23:00:00Z")]
    // New York in winter (-05:00): 03:00 UTC on the 20th is still 22:00 on Monday the 19th locally.
    [InlineData("America/New_York", ResetCadence.Daily, "2026-01-20T03:00:00Z", "2026-01-19T05:00:00Z", "2026-01-20T05:00:00Z")]
    [InlineData("America/New_York", ResetCadence.Weekly, "2026-01-20T03:00:00Z", "2026-01-19T05:00:00Z", "2026-01-26T05:00:00Z")]
    [InlineData("America/New_York", ResetCadence.Monthly, "2026-01-20T03:00:00Z", "2026-01-01T05:00:00Z", "2026-02-01T05:00:00Z")]
    // New York in summer (-04:00).
    [InlineData("America/New_York", ResetCadence.Daily, "2026-06-10T12:00:00Z", "2026-06-10T04:00:00Z", "2026-06-11T04:00:00Z")]
    // Kathmandu (+05:45, no DST): 18:20 UTC on the 13th is 00:05 on Thursday the 14th locally.
    [InlineData("Asia/Kathmandu", ResetCadence.Daily, "2026-05-13T18:20:00Z", "2026-05-13T18:15:00Z", "2026-05-14T18:15:00Z")]
    [InlineData("Asia/Kathmandu", ResetCadence.Weekly, "2026-05-13T18:20:00Z", "2026-05-10T18:15:00Z", "2026-05-17T18:15:00Z")]
    [InlineData("Asia/Kathmandu", ResetCadence.Monthly, "2026-05-13T18:20:00Z", "2026-04-30T18:15:00Z", "2026-05-31T18:15:00Z")]
    // Kiritimati (+14:00): 10:30 UTC on June 30 is already 00:30 on Wednesday July 1 locally.
    [InlineData("Pacific/Kiritimati", ResetCadence.Daily, "2026-06-30T10:30:00Z", "2026-06-30T10:00:00Z", "2026-07-01T10:00:00Z")]
    [InlineData("Pacific/Kiritimati", ResetCadence.Weekly, "2026-06-30T10:30:00Z", "2026-06-28T10:00:00Z", "2026-07-05T10:00:00Z")]
    [InlineData("Pacific/Kiritimati", ResetCadence.Monthly, "2026-06-30T10:30:00Z", "2026-06-30T10:00:00Z", "2026-07-31T10:00:00Z")]
    // Lord Howe: +11:00 in (southern) summer, +10:30 in winter.
    [InlineData("Australia/Lord_Howe", ResetCadence.Daily, "2026-01-15T00:00:00Z", "2026-01-14T13:00:00Z", "2026-01-15T13:00:00Z")]
    [InlineData("Australia/Lord_Howe", ResetCadence.Weekly, "2026-07-15T00:00:00Z", "2026-07-12T13:30:00Z", "2026-07-19T13:30:00Z")]
    [InlineData("Australia/Lord_Howe", ResetCadence.Monthly, "2026-01-15T00:00:00Z", "2025-12-31T13:00:00Z", "2026-01-31T13:00:00Z")]
    // April 2026 in Lord Howe starts at +11:00 and ends at +10:30 (DST ends April 5).
    [InlineData("Australia/Lord_Howe", ResetCadence.Monthly, "2026-04-15T00:00:00Z", "2026-03-31T13:00:00Z", "2026-04-30T13:30:00Z")]
    // Sydney: +11:00 in (southern) summer, +10:00 in winter.
    [InlineData("Australia/Sydney", ResetCadence.Daily, "2026-01-15T00:00:00Z", "2026-01-14T13:00:00Z", "2026-01-15T13:00:00Z")]
    [InlineData("Australia/Sydney", ResetCadence.Weekly, "2026-07-15T00:00:00Z", "2026-07-12T14:00:00Z", "2026-07-19T14:00:00Z")]
    [InlineData("Australia/Sydney", ResetCadence.Monthly, "2026-07-15T00:00:00Z", "2026-06-30T14:00:00Z", "2026-07-31T14:00:00Z")]
    public void Window_is_the_local_day_week_or_month_containing_now(
        string zone, ResetCadence cadence, string now, string expectedStart, string expectedEnd)
    {
        Assert.Equal(new QuotaWindow(At(expectedStart), At(expectedEnd)), Window(zone, cadence, now));
    }

    [Theory]
    // New York springs forward on Sunday 2026-03-08 (02:00 -05:00 -> 03:00 -04:00).
    [InlineData("America/New_York", ResetCadence.Daily, "2026-03-08T12:00:00Z", "2026-03-08T05:00:00Z", "2026-03-09T04:00:00Z", 23)]
    [InlineData("America/New_York", ResetCadence.Weekly, "2026-03-05T12:00:00Z", "2026-03-02T05:00:00Z", "2026-03-09T04:00:00Z", 167)]
    // New York falls back on Sunday 2026-11-01 (02:00 -04:00 -> 01:00 -05:00).
    [InlineData("America/New_York", ResetCadence.Daily, "2026-11-01T12:00:00Z", "2026-11-01T04:00:00Z", "2026-11-02T05:00:00Z", 25)]
    [InlineData("America/New_York", ResetCadence.Weekly, "2026-10-28T12:00:00Z", "2026-10-26T04:00:00Z", "2026-11-02T05:00:00Z", 169)]
    // Madrid springs forward on Sunday 2026-03-29 (02:00 +01:00 -> 03:00 +02:00).
    [InlineData("Europe/Madrid", ResetCadence.Daily, "2026-03-29T12:00:00Z", "2026-03-28T23:00:00Z", "2026-03-29T22:00:00Z", 23)]
    [InlineData("Europe/Madrid", ResetCadence.Weekly, "2026-03-25T12:00:00Z", "2026-03-22T23:00:00Z", "2026-03-29T22:00:00Z", 167)]
    // Madrid falls back on Sunday 2026-10-25 (03:00 +02:00 -> 02:00 +01:00).
    [InlineData("Europe/Madrid", ResetCadence.Daily, "2026-10-25T12:00:00Z", "2026-10-24T22:00:00Z", "2026-10-25T23:00:00Z", 25)]
    [InlineData("Europe/Madrid", ResetCadence.Weekly, "2026-10-21T12:00:00Z", "2026-10-18T22:00:00Z", "2026-10-25T23:00:00Z", 169)]
    // Sydney (southern hemisphere) falls back on 2026-04-05 and springs forward on 2026-10-04.
    [InlineData("Australia/Sydney", ResetCadence.Daily, "2026-04-05T01:00:00Z", "2026-04-04T13:00:00Z", "2026-04-05T14:00:00Z", 25)]
    [InlineData("Australia/Sydney", ResetCadence.Daily, "2026-10-04T01:00:00Z", "2026-10-03T14:00:00Z", "2026-10-04T13:00:00Z", 23)]
    // Lord Howe shifts by only 30 minutes: +11:00 -> +10:30 on 2026-04-05, back on 2026-10-04.
    [InlineData("Australia/Lord_Howe", ResetCadence.Daily, "2026-04-05T01:00:00Z", "2026-04-04T13:00:00Z", "2026-04-05T13:30:00Z", 24.5)]
    [InlineData("Australia/Lord_Howe", ResetCadence.Daily, "2026-10-04T01:00:00Z", "2026-10-03T13:30:00Z", "2026-10-04T13:00:00Z", 23.5)]
    public void Window_across_a_dst_change_is_shorter_or_longer_than_usual(
        string zone, ResetCadence cadence, string now, string expectedStart, string expectedEnd, double expectedHours)
    {
        var window = Window(zone, cadence, now);

        Assert.Equal(new QuotaWindow(At(expectedStart), At(expectedEnd)), window);
        Assert.Equal(Duration.FromHours(expectedHours), window.End - window.Start);
    }

    [Theory]
    // tzdb (as embedded in NodaTime 3.3.7) moves these clocks forward at local midnight, so 00:00
    // does not exist that day and the first instant of the day is 01:00 local:
    // Santiago 2026-09-06 00:00 -04:00 -> 01:00 -03:00 (at 04:00Z);
    // Havana   2026-03-08 00:00 -05:00 -> 01:00 -04:00 (at 05:00Z);
    // Beirut   2026-03-29 00:00 +02:00 -> 01:00 +03:00 (at 2026-03-28T22:00Z).
    [InlineData("America/Santiago", "2026-09-06", "2026-09-06T15:00:00Z", "2026-09-06T04:00:00Z", "2026-09-07T03:00:00Z")]
    [InlineData("America/Havana", "2026-03-08", "2026-03-08T15:00:00Z", "2026-03-08T05:00:00Z", "2026-03-09T04:00:00Z")]
    [InlineData("Asia/Beirut", "2026-03-29", "2026-03-29T09:00:00Z", "2026-03-28T22:00:00Z", "2026-03-29T21:00:00Z")]
    public void Day_whose_midnight_falls_in_a_dst_gap_starts_at_one_am_local(
        string zoneId, string date, string now, string expectedStart, string expectedEnd)
    {
        var zone = Zone(zoneId);
        var localDate = LocalDatePattern.Iso.Parse(date).Value;
        // Guard: the premise holds in the tzdb data we run with.
        Assert.Equal(0, zone.MapLocal(localDate.AtMidnight()).Count);

        var window = QuotaWindow.Containing(At(now), ResetCadence.Daily, zone);

        Assert.Equal(new QuotaWindow(At(expectedStart), At(expectedEnd)), window);
        Assert.Equal(localDate.At(new LocalTime(1, 0)), window.Start.InZone(zone).LocalDateTime);
        Assert.Equal(Duration.FromHours(23), window.End - window.Start);
    }

    [Theory]
    // The day before the Santiago gap ends where the gapped day starts (01:00 -03:00).
    [InlineData(ResetCadence.Daily, "2026-09-05T20:00:00Z", "2026-09-05T04:00:00Z", "2026-09-06T04:00:00Z")]
    // Monday 2026-08-31 00:00 -04:00 to Monday 2026-09-07 00:00 -03:00: a 167-hour week.
    [InlineData(ResetCadence.Weekly, "2026-09-03T12:00:00Z", "2026-08-31T04:00:00Z", "2026-09-07T03:00:00Z")]
    // Santiago falls back at midnight: Sunday 2026-04-05 00:00 -03:00 -> Saturday 23:00 -04:00, so
    // Saturday April 4 lasts 25 hours and Sunday starts at the one remaining midnight (-04:00).
    [InlineData(ResetCadence.Daily, "2026-04-04T12:00:00Z", "2026-04-04T03:00:00Z", "2026-04-05T04:00:00Z")]
    [InlineData(ResetCadence.Daily, "2026-04-05T12:00:00Z", "2026-04-05T04:00:00Z", "2026-04-06T04:00:00Z")]
    public void Santiago_windows_around_midnight_transitions(
        ResetCadence cadence, string now, string expectedStart, string expectedEnd)
    {
        Assert.Equal(new QuotaWindow(At(expectedStart), At(expectedEnd)), Window("America/Santiago", cadence, now));
    }

    [Theory]
    // Jan 31 -> Feb 1 (Madrid, +01:00).
    [InlineData("Europe/Madrid", ResetCadence.Daily, "2026-01-31T22:59:59Z", "2026-01-30T23:00:00Z", "2026-01-31T23:00:00Z")]
    [InlineData("Europe/Madrid", ResetCadence.Daily, "2026-01-31T23:00:00Z", "2026-01-31T23:00:00Z", "2026-02-01T23:00:00Z")]
    [InlineData("Europe/Madrid", ResetCadence.Monthly, "2026-01-31T22:00:00Z", "2025-12-31T23:00:00Z", "2026-01-31T23:00:00Z")]
    // Feb 28 -> Mar 1 in 2027 (not a leap year).
    [InlineData("UTC", ResetCadence.Daily, "2027-02-28T12:00:00Z", "2027-02-28T00:00:00Z", "2027-03-01T00:00:00Z")]
    [InlineData("UTC", ResetCadence.Monthly, "2027-02-28T23:59:59Z", "2027-02-01T00:00:00Z", "2027-03-01T00:00:00Z")]
    // Feb 29 exists in leap year 2028 (New York still on -05:00; DST starts 2028-03-12).
    [InlineData("UTC", ResetCadence.Daily, "2028-02-29T12:00:00Z", "2028-02-29T00:00:00Z", "2028-03-01T00:00:00Z")]
    [InlineData("America/New_York", ResetCadence.Daily, "2028-02-29T12:00:00Z", "2028-02-29T05:00:00Z", "2028-03-01T05:00:00Z")]
    [InlineData("America/New_York", ResetCadence.Monthly, "2028-02-29T12:00:00Z", "2028-02-01T05:00:00Z", "2028-03-01T05:00:00Z")]
    // Dec 31 -> Jan 1 across the year (New York, -05:00).
    [InlineData("America/New_York", ResetCadence.Daily, "2026-12-31T12:00:00Z", "2026-12-31T05:00:00Z", "2027-01-01T05:00:00Z")]
    [InlineData("America/New_York", ResetCadence.Monthly, "2026-12-31T12:00:00Z", "2026-12-01T05:00:00Z", "2027-01-01T05:00:00Z")]
    // Ahead of UTC, the local month has turned while the UTC date is still the previous month:
    [InlineData("Asia/Kathmandu", ResetCadence.Monthly, "2026-05-31T18:30:00Z", "2026-05-31T18:15:00Z", "2026-06-30T18:15:00Z")]
    [InlineData("Pacific/Kiritimati", ResetCadence.Monthly, "2026-01-31T12:00:00Z", "2026-01-31T10:00:00Z", "2026-02-28T10:00:00Z")]
    // ... and the year too: 13:30 UTC on 2025-12-31 is 00:30 on 2026-01-01 in Sydney (+11:00).
    [InlineData("Australia/Sydney", ResetCadence.Monthly, "2025-12-31T13:30:00Z", "2025-12-31T13:00:00Z", "2026-01-31T13:00:00Z")]
    public void Window_rolls_over_month_and_year_ends_on_the_local_calendar(
        string zone, ResetCadence cadence, string now, string expectedStart, string expectedEnd)
    {
        Assert.Equal(new QuotaWindow(At(expectedStart), At(expectedEnd)), Window(zone, cadence, now));
    }

    [Theory]
    // Week Monday 2026-06-29 .. Monday 2026-07-06 spans June/July.
    [InlineData("UTC", "2026-07-02T12:00:00Z", "2026-06-29T00:00:00Z", "2026-07-06T00:00:00Z")]
    [InlineData("Asia/Kathmandu", "2026-07-01T00:00:00Z", "2026-06-28T18:15:00Z", "2026-07-05T18:15:00Z")]
    // Week Monday 2026-12-28 .. Monday 2027-01-04 spans the year (Madrid, +01:00); Friday 2027-01-01 is in it.
    [InlineData("Europe/Madrid", "2027-01-01T12:00:00Z", "2026-12-27T23:00:00Z", "2027-01-03T23:00:00Z")]
    // Sunday 23:30 local is still the old week; Monday 00:00 local starts the new one.
    [InlineData("Europe/Madrid", "2027-01-03T22:30:00Z", "2026-12-27T23:00:00Z", "2027-01-03T23:00:00Z")]
    [InlineData("Europe/Madrid", "2027-01-03T23:00:00Z", "2027-01-03T23:00:00Z", "2027-01-10T23:00:00Z")]
    // Sunday 2026-05-17 in UTC belongs to the week that began Monday 2026-05-11.
    [InlineData("UTC", "2026-05-17T23:59:59Z", "2026-05-11T00:00:00Z", "2026-05-18T00:00:00Z")]
    public void Weekly_window_starts_on_monday_even_across_month_and_year_boundaries(
        string zone, string now, string expectedStart, string expectedEnd)
    {
        Assert.Equal(new QuotaWindow(At(expectedStart), At(expectedEnd)), Window(zone, ResetCadence.Weekly, now));
    }

    [Theory]
    // boundary = the reset instant; the old window is [previousStart, boundary), the new one [boundary, nextEnd).
    [InlineData("UTC", ResetCadence.Daily, "2026-05-14T00:00:00Z", "2026-05-13T00:00:00Z", "2026-05-15T00:00:00Z")]
    [InlineData("America/New_York", ResetCadence.Daily, "2026-03-09T04:00:00Z", "2026-03-08T05:00:00Z", "2026-03-10T04:00:00Z")]
    [InlineData("Asia/Kathmandu", ResetCadence.Weekly, "2026-05-17T18:15:00Z", "2026-05-10T18:15:00Z", "2026-05-24T18:15:00Z")]
    [InlineData("Europe/Madrid", ResetCadence.Monthly, "2026-10-31T23:00:00Z", "2026-09-30T22:00:00Z", "2026-11-30T23:00:00Z")]
    [InlineData("Pacific/Kiritimati", ResetCadence.Monthly, "2026-06-30T10:00:00Z", "2026-05-31T10:00:00Z", "2026-07-31T10:00:00Z")]
    [InlineData("America/Santiago", ResetCadence.Daily, "2026-09-06T04:00:00Z", "2026-09-05T04:00:00Z", "2026-09-07T03:00:00Z")]
    public void Instant_at_end_opens_the_next_window_and_one_tick_earlier_is_still_the_old_one(
        string zone, ResetCadence cadence, string boundary, string previousStart, string nextEnd)
    {
        var reset = At(boundary);

        Assert.Equal(new QuotaWindow(reset, At(nextEnd)), Window(zone, cadence, boundary));
        var old = new QuotaWindow(At(previousStart), reset);
        Assert.Equal(old, QuotaWindow.Containing(reset - Duration.FromTicks(1), cadence, Zone(zone)));
        Assert.Equal(old, QuotaWindow.Containing(reset - Duration.Epsilon, cadence, Zone(zone)));
    }

    [Theory]
    // 01:30 happens twice in New York on 2026-11-01 (first -04:00, then -05:00); both are that day.
    [InlineData("2026-11-01T05:30:00Z")]
    [InlineData("2026-11-01T06:30:00Z")]
    public void Both_occurrences_of_a_repeated_local_hour_share_the_day(string now)
    {
        Assert.Equal(
            new QuotaWindow(At("2026-11-01T04:00:00Z"), At("2026-11-02T05:00:00Z")),
            Window("America/New_York", ResetCadence.Daily, now));
    }

    [Theory]
    // Samoa skipped Friday 2011-12-30 entirely: 2011-12-29 23:59:59 -10:00 was followed by
    // 2011-12-31 00:00 +14:00 (at 10:00Z). Windows still tile time: the 29th runs into the 31st.
    [InlineData(ResetCadence.Daily, "2011-12-30T09:00:00Z", "2011-12-29T10:00:00Z", "2011-12-30T10:00:00Z")]
    [InlineData(ResetCadence.Daily, "2011-12-30T11:00:00Z", "2011-12-30T10:00:00Z", "2011-12-31T10:00:00Z")]
    // Monday 2011-12-26 00:00 -10:00 to Monday 2012-01-02 00:00 +14:00: six real days, 144 hours.
    [InlineData(ResetCadence.Weekly, "2011-12-28T00:00:00Z", "2011-12-26T10:00:00Z", "2012-01-01T10:00:00Z")]
    public void A_skipped_calendar_day_does_not_break_the_windows(
        ResetCadence cadence, string now, string expectedStart, string expectedEnd)
    {
        Assert.Equal(new QuotaWindow(At(expectedStart), At(expectedEnd)), Window("Pacific/Apia", cadence, now));
    }

    public static TheoryData<string, ResetCadence> ZonesAndCadences()
    {
        var data = new TheoryData<string, ResetCadence>();
        foreach (var zone in new[] { "UTC", "Europe/Madrid", "America/New_York", "Asia/Kathmandu", "Pacific/Kiritimati",
                     "Australia/Lord_Howe", "Australia/Sydney", "America/Santiago", "America/Havana", "Asia/Beirut" })
            foreach (var cadence in Enum.GetValues<ResetCadence>().Where(c => c != ResetCadence.Rolling)) // calendar periods tile time
                data.Add(zone, cadence);
        return data;
    }

    // Rolling periods, worked out by hand: rolling:5h counts 5-minute buckets from the Unix epoch.
    [Theory]
    [InlineData(5, "2026-12-10T10:02:00Z", "2026-12-10T10:00:00Z", "2026-12-10T05:00:00Z", "2026-12-10T15:05:00Z")]
    [InlineData(5, "2026-12-10T10:04:59Z", "2026-12-10T10:00:00Z", "2026-12-10T05:00:00Z", "2026-12-10T15:05:00Z")]
    [InlineData(5, "2026-12-10T10:05:00Z", "2026-12-10T10:05:00Z", "2026-12-10T05:05:00Z", "2026-12-10T15:10:00Z")]
    [InlineData(24, "2026-12-10T10:30:00Z", "2026-12-10T10:24:00Z", "2026-12-09T10:24:00Z", "2026-12-11T10:48:00Z")]
    public void A_rolling_window_counts_the_buckets_of_the_last_hours_and_ends_when_all_of_them_have_left(
        int hours, string now, string bucket, string countsFrom, string end)
    {
        var window = QuotaWindow.Containing(InstantPattern.ExtendedIso.Parse(now).Value, ResetCadence.Rolling, DateTimeZone.Utc, hours);

        Assert.Equal((bucket, countsFrom, end, true), (Text(window.Start), Text(window.CountsFrom), Text(window.End), window.IsRolling));
    }

    private static string Text(Instant instant) => InstantPattern.ExtendedIso.Format(instant);

    // Not an expectation computed by the algorithm: invariants every cadence must keep.
    [Theory]
    [MemberData(nameof(ZonesAndCadences))]
    public void Windows_contain_now_and_tile_time_without_gaps_or_overlaps(string zoneId, ResetCadence cadence)
    {
        var zone = Zone(zoneId);
        for (var now = At("2026-01-01T00:00:00Z"); now < At("2027-01-15T00:00:00Z"); now += Duration.FromMinutes(47))
        {
            var window = QuotaWindow.Containing(now, cadence, zone);
            Assert.True(window.Start <= now && now < window.End, $"{now} not in [{window.Start}, {window.End})");
            Assert.Equal(window.End, QuotaWindow.Containing(window.End, cadence, zone).Start);
            Assert.Equal(window, QuotaWindow.Containing(window.End - Duration.Epsilon, cadence, zone));
        }
    }
}
