using TenantQuota.Domain.Matrix;

namespace TenantQuota.Domain;

/// <summary>Which piece of end-user copy fits an outcome: the nudge before the wall, the warnings, the stop.</summary>
public enum QuotaNotice { None, Nudge, SoftLimit, HardLimit, Overage, Blocked, Degraded, NotEnoughLeft }

public enum NoticeSeverity { Info, Warning, Error }

public static class QuotaNotices
{
    /// <summary>The nudge appears once usage reaches this share of the soft limit.</summary>
    public const double NudgeShare = 0.8;

    public static QuotaNotice For(QuotaCell cell, QuotaOutcome outcome) => outcome switch
    {
        // Denied although some quota is left: the request was bigger than what remains.
        { Allowed: false } when outcome.Used < cell.HardLimit => QuotaNotice.NotEnoughLeft,
        { Allowed: false, FallbackClass: not null } => QuotaNotice.Degraded,
        { Allowed: false } => QuotaNotice.Blocked,
        { Decision: Decision.Overage } => QuotaNotice.Overage,
        _ => ForUsage(cell, outcome.Used),
    };

    /// <summary>The notice for a window that counts <paramref name="used"/>, when nothing more is asked for.</summary>
    public static QuotaNotice ForUsage(QuotaCell cell, long used) => QuotaRules.StateOf(cell, used) switch
    {
        QuotaState.HardLimit => QuotaNotice.HardLimit,
        QuotaState.SoftLimit => QuotaNotice.SoftLimit,
        _ when cell.SoftLimit > 0 && used >= Math.Ceiling(cell.SoftLimit * NudgeShare) => QuotaNotice.Nudge,
        _ => QuotaNotice.None,
    };

    public static NoticeSeverity Severity(this QuotaNotice notice) => notice switch
    {
        QuotaNotice.Nudge => NoticeSeverity.Info,
        QuotaNotice.Blocked or QuotaNotice.Degraded or QuotaNotice.NotEnoughLeft => NoticeSeverity.Error,
        _ => NoticeSeverity.Warning,
    };
}
