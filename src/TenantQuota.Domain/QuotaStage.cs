using TenantQuota.Domain.Matrix;

namespace TenantQuota.Domain;

/// <summary>
/// Where a subject stands on the way to the wall, and so which copy it is shown: a nudge, the
/// soft-limit warning, a final warning, then the stop. NotEnoughLeft: a request bigger than what is left.
/// </summary>
public enum QuotaStage { None, Nudge, SoftLimit, FinalWarning, Stop, NotEnoughLeft }

public enum NoticeSeverity { Info, Warning, Error }

/// <summary>
/// When the nudge and the final warning start, as shares of the hard limit. Product decides these
/// (Quota__NudgeAt, Quota__FinalWarningAt); the soft limit in between comes from the matrix.
/// </summary>
public sealed record StageThresholds(double NudgeAt, double FinalWarningAt)
{
    public static readonly StageThresholds Default = new(0.7, 0.9);

    /// <summary>Why these thresholds cannot work, or null: each a share in (0, 1), the nudge before the final warning.</summary>
    public string? Problem() =>
        NudgeAt is > 0 and < 1 && FinalWarningAt is > 0 and < 1 && NudgeAt < FinalWarningAt
            ? null
            : $"NudgeAt ({NudgeAt}) and FinalWarningAt ({FinalWarningAt}) must be shares of the hard limit between 0 and 1, the nudge first.";
}

public static class QuotaStages
{
    /// <summary>The stage an answer shows: a refusal is the stop (or "not enough left"); otherwise the usage after the request decides.</summary>
    public static QuotaStage For(QuotaCell cell, QuotaOutcome outcome, StageThresholds thresholds) => outcome switch
    {
        { Allowed: false } when outcome.Used < cell.HardLimit => QuotaStage.NotEnoughLeft,
        { Allowed: false } => QuotaStage.Stop,
        _ => ForUsage(cell, outcome.Used, thresholds),
    };

    /// <summary>
    /// The stage of a window that counts <paramref name="used"/>. Each stage shows only once it
    /// applies and the later one wins: with soft 7 / hard 10 and the defaults, 7 nudges (70 % of 10,
    /// not past soft), 8 warns (past soft), 9 is the final warning (90 %), 10 is the stop.
    /// </summary>
    public static QuotaStage ForUsage(QuotaCell cell, long used, StageThresholds thresholds)
    {
        if (used >= cell.HardLimit) return QuotaStage.Stop;
        if (used >= StartOf(cell.HardLimit, thresholds.FinalWarningAt)) return QuotaStage.FinalWarning;
        if (used > cell.SoftLimit) return QuotaStage.SoftLimit;
        if (used >= StartOf(cell.HardLimit, thresholds.NudgeAt)) return QuotaStage.Nudge;
        return QuotaStage.None;
    }

    /// <summary>
    /// Info for the nudge, warning for the warnings, error for a stop that stops. A stop on an
    /// overage or warn cell lets work go on (billed, or past an advisory limit): a warning.
    /// </summary>
    public static NoticeSeverity Severity(QuotaStage stage, OverQuotaAction action, bool denied) => stage switch
    {
        QuotaStage.Nudge => NoticeSeverity.Info,
        QuotaStage.SoftLimit or QuotaStage.FinalWarning => NoticeSeverity.Warning,
        QuotaStage.Stop when !denied && action is OverQuotaAction.Overage or OverQuotaAction.Warn => NoticeSeverity.Warning,
        _ => NoticeSeverity.Error,
    };

    /// <summary>The first count at or past <paramref name="share"/> of the hard limit (at least 1). In decimal:
    /// in double, 10 × 0.7 is a hair over 7 and would start the nudge at 8.</summary>
    private static long StartOf(long hardLimit, double share) => Math.Max(1, (long)Math.Ceiling(hardLimit * (decimal)share));
}
