using NodaTime;
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

    // Not the OS time zone database (TimeZoneInfo, NodaTime's Bcl provider): the tzdb embedded in
    // NodaTime, so every machine computes the same windows.
    [Theory]
    [InlineData("Europe/Madrid")]
    [InlineData("Asia/Kathmandu")]
    public void Found_zone_comes_from_the_embedded_tzdb(string id)
    {
        Assert.True(TimeZones.TryFind(id, out var zone));
        Assert.Same(DateTimeZoneProviders.Tzdb[id], zone);
    }

    [Fact]
    public void Utc_has_no_offset_and_no_dst()
    {
        Assert.Equal("UTC", TimeZones.Utc.Id);
        Assert.Equal(Offset.Zero, TimeZones.Utc.MinOffset);
        Assert.Equal(Offset.Zero, TimeZones.Utc.MaxOffset);
    }
}
