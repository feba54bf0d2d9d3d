using System.Diagnostics.CodeAnalysis;
using NodaTime;

namespace TenantQuota.Domain;

/// <summary>
/// Tenant time zones by IANA id, from the tzdb data embedded in NodaTime, so every machine
/// (whatever its OS time zone database) computes the same windows.
/// </summary>
public static class TimeZones
{
    // Tzdb.GetZoneOrNull also accepts fixed-offset ids such as "UTC+05:30", which are not IANA ids;
    // checking the id list keeps tenants to real tzdb zones. The comparison is ordinal: IANA ids
    // are case-sensitive and Tzdb itself rejects "europe/madrid", so we do not fold case either.
    private static readonly HashSet<string> Ids = new(DateTimeZoneProviders.Tzdb.Ids, StringComparer.Ordinal);

    public static DateTimeZone Utc => DateTimeZone.Utc;

    public static bool TryFind(string? ianaId, [MaybeNullWhen(false)] out DateTimeZone zone)
    {
        zone = ianaId is not null && Ids.Contains(ianaId) ? DateTimeZoneProviders.Tzdb[ianaId] : null;
        return zone is not null;
    }
}
