namespace TenantQuota.Domain.Matrix;

/// <summary>What happens to a request that would take usage past a cell's hard limit.</summary>
public enum OverQuotaAction
{
    /// <summary>Deny the request.</summary>
    Block,
    /// <summary>Deny this class and point the caller at a cheaper fallback class.</summary>
    Degrade,
    /// <summary>Allow it and bill the excess.</summary>
    Overage,
    /// <summary>Allow it; the limit is advisory.</summary>
    Warn,
}

public static class OverQuotaActions
{
    public static bool TryParse(string? text, out OverQuotaAction action)
    {
        switch (text)
        {
            case "block": action = OverQuotaAction.Block; return true;
            case "degrade": action = OverQuotaAction.Degrade; return true;
            case "overage": action = OverQuotaAction.Overage; return true;
            case "warn": action = OverQuotaAction.Warn; return true;
            default: action = default; return false;
        }
    }

    public static string ToWireName(this OverQuotaAction action) => action switch
    {
        OverQuotaAction.Block => "block",
        OverQuotaAction.Degrade => "degrade",
        OverQuotaAction.Overage => "overage",
        OverQuotaAction.Warn => "warn",
        _ => throw new ArgumentOutOfRangeException(nameof(action), action, null),
    };

    /// <summary>Block and degrade are the actions that must never let usage pass the hard limit.</summary>
    public static bool Enforces(this OverQuotaAction action) => action is OverQuotaAction.Block or OverQuotaAction.Degrade;
}
