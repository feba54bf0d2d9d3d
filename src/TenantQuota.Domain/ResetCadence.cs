using System.Globalization;

namespace TenantQuota.Domain;

/// <summary>
/// How a quota's counting period moves on: calendar periods start again at 00:00 in the tenant's time zone;
/// a rolling period counts the last N hours, whatever the clock says (the hours live next to it, e.g.
/// <see cref="Matrix.QuotaCell.RollingHours"/>).
/// </summary>
public enum ResetCadence
{
    /// <summary>Every local day.</summary>
    Daily,
    /// <summary>Every Monday (ISO weeks).</summary>
    Weekly,
    /// <summary>Every 1st of the month.</summary>
    Monthly,
    /// <summary>The last N hours, at every moment ("rolling:5h").</summary>
    Rolling,
}

public static class ResetCadences
{
    /// <summary>The longest rolling period: 30 days.</summary>
    public const int MaxRollingHours = 720;

    /// <summary>What the wire and the files accept, for messages.</summary>
    public const string WireNames = "daily, weekly, monthly or rolling:<hours>h (1–720)";

    /// <summary>Accepts exactly the lowercase calendar names: "daily", "weekly", "monthly".</summary>
    public static bool TryParse(string? text, out ResetCadence cadence) => TryParse(text, out cadence, out var hours) && hours == 0;

    /// <summary>Accepts "daily", "weekly", "monthly" (hours 0) and "rolling:5h" (hours 1–720).</summary>
    public static bool TryParse(string? text, out ResetCadence cadence, out int rollingHours)
    {
        rollingHours = 0;
        switch (text)
        {
            case "daily": cadence = ResetCadence.Daily; return true;
            case "weekly": cadence = ResetCadence.Weekly; return true;
            case "monthly": cadence = ResetCadence.Monthly; return true;
        }
        cadence = ResetCadence.Rolling;
        return text is not null && text.StartsWith("rolling:", StringComparison.Ordinal) && text.EndsWith('h')
            && int.TryParse(text.AsSpan(8, text.Length - 9), NumberStyles.None, CultureInfo.InvariantCulture, out rollingHours)
            && rollingHours is >= 1 and <= MaxRollingHours;
    }

    public static string ToWireName(this ResetCadence cadence) => cadence switch
    {
        ResetCadence.Daily => "daily",
        ResetCadence.Weekly => "weekly",
        ResetCadence.Monthly => "monthly",
        ResetCadence.Rolling => "rolling",
        _ => throw new ArgumentOutOfRangeException(nameof(cadence), cadence, null),
    };

    /// <summary>The wire form with the hours of a rolling period: "daily", "rolling:5h".</summary>
    public static string ToWireName(this ResetCadence cadence, int rollingHours) =>
        cadence == ResetCadence.Rolling ? string.Create(CultureInfo.InvariantCulture, $"rolling:{rollingHours}h") : cadence.ToWireName();
}
