namespace TenantQuota.Domain;

/// <summary>How often a quota cell's counter starts again, always at 00:00 in the tenant's time zone.</summary>
public enum ResetCadence
{
    /// <summary>Every local day.</summary>
    Daily,
    /// <summary>Every Monday (ISO weeks).</summary>
    Weekly,
    /// <summary>Every 1st of the month.</summary>
    Monthly,
}

public static class ResetCadences
{
    /// <summary>Accepts exactly the lowercase wire names: "daily", "weekly", "monthly".</summary>
    public static bool TryParse(string? text, out ResetCadence cadence)
    {
        switch (text)
        {
            case "daily": cadence = ResetCadence.Daily; return true;
            case "weekly": cadence = ResetCadence.Weekly; return true;
            case "monthly": cadence = ResetCadence.Monthly; return true;
            default: cadence = default; return false;
        }
    }

    public static string ToWireName(this ResetCadence cadence) => cadence switch
    {
        ResetCadence.Daily => "daily",
        ResetCadence.Weekly => "weekly",
        ResetCadence.Monthly => "monthly",
        _ => throw new ArgumentOutOfRangeException(nameof(cadence), cadence, null),
    };
}
