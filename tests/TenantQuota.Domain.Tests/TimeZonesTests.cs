using NodaTime;
using NodaTime.Text;
using TenantQuota.Domain;

namespace TenantQuota.Domain.Tests;

public class TimeZonesTests
{
    [Theory]
    [InlineData("UTC")]
    [InlineData("Etc/UTC")]
    [InlineData("Europe/Madrid")]
    [InlineData("America/New_York")]
    [InlineData("Asia/Kathmandu")]
    [InlineData("Pacific/Kiritimati")]
    [InlineData("Australia/Lord_Howe")]
    [InlineData("Australia/Sydney")]
    [InlineData("America/Santiago")]
    [InlineData("America/Argentina/Buenos_Aires")]
    // Backward-compatible links are tzdb ids too.
    [InlineData("US/Eastern")]
    [InlineData("Asia/Calcutta")]
    public void Known_iana_id_is_found(string id)
    {
        Assert.True(TimeZones.TryFind(id, out var zone));
        Assert.Equal(id, zone.Id);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData(" ")]
    [InlineData("\t\n")]
    [InlineData("Pacific Standard Time")] // Windows id, not IANA
    [InlineData("Romance Standard Time")]
    [InlineData("Mars/Olympus")]
    [InlineData("europe/madrid")] // IANA ids are case-sensitive
    [InlineData("EUROPE/MADRID")]
    [InlineData("utc")]
    [InlineData(" Europe/Madrid")]
    [InlineData("Europe/Madrid ")]
    [InlineData("Europe/")]
    [InlineData("Madrid")]
    [InlineData("UTC+05:30")] // NodaTime's fixed-offset ids are not tzdb ids
    [InlineData("UTC+01")]
    [InlineData("+02:00")]
    public void Unknown_or_malformed_id_is_rejected(string? id)
    {
        Assert.False(TimeZones.TryFind(id, out var zone));
        Assert.Null(zone);
    }

    [Theory]
    // Offsets known from the rules: Madrid is +02:00 in July, New York -05:00 in January,
    // Kathmandu +05:45 all year, Lord Howe +10:30 in (southern) winter.
    [InlineData("Europe/Madrid", "2026-07-01T00:00:00Z", "+02:00")]
    [InlineData("America/New_York", "2026-01-15T00:00:00Z", "-05:00")]
    [InlineData("Asia/Kathmandu", "2026-01-15T00:00:00Z", "+05:45")]
    [InlineData("Australia/Lord_Howe", "2026-07-01T00:00:00Z", "+10:30")]
    public void Found_zone_carries_the_tzdb_rules(string id, string instant, string expectedOffset)
    {
        Assert.True(TimeZones.TryFind(id, out var zone));
        var offset = zone.GetUtcOffset(InstantPattern.ExtendedIso.Parse(instant).Value);
        Assert.Equal(OffsetPattern.GeneralInvariantWithZ.Parse(expectedOffset).Value, offset);
    }

    [Fact]
    public void Utc_has_no_offset_and_no_dst()
    {
        Assert.Equal("UTC", TimeZones.Utc.Id);
        Assert.Equal(Offset.Zero, TimeZones.Utc.MinOffset);
        Assert.Equal(Offset.Zero, TimeZones.Utc.MaxOffset);
    }
}
