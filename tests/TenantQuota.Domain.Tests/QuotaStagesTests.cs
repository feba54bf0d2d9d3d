using TenantQuota.Domain;
using TenantQuota.Domain.Matrix;

namespace TenantQuota.Domain.Tests;

// Thresholds worked out by hand with the defaults (nudge at 70 % of hard, final warning at 90 %):
//   hard 10 -> nudge 7, final 9; hard 20 -> 14, 18; hard 200 -> 140, 180; hard 3 -> 3 (2.1), 3 (2.7);
//   hard 5000 -> 3500, 4500; hard 1 -> 1, 1.
public class QuotaStagesTests
{
    private static readonly StageThresholds Defaults = StageThresholds.Default;

    private static QuotaCell Cell(OverQuotaAction action, long soft, long hard) =>
        new(soft, hard, ResetCadence.Daily, action, action == OverQuotaAction.Degrade ? "summaries" : null);

    [Theory]
    // free/summaries, soft 7 / hard 10: nothing up to 6, nudge at 7, soft warning at 8, final warning at 9, stop at 10
    [InlineData(7, 10, 0, QuotaStage.None)]
    [InlineData(7, 10, 6, QuotaStage.None)]
    [InlineData(7, 10, 7, QuotaStage.Nudge)]
    [InlineData(7, 10, 8, QuotaStage.SoftLimit)]
    [InlineData(7, 10, 9, QuotaStage.FinalWarning)]
    [InlineData(7, 10, 10, QuotaStage.Stop)]
    [InlineData(7, 10, 14, QuotaStage.Stop)]
    // free/drafts, soft 15 / hard 20: nudge 14–15, soft 16–17, final 18–19
    [InlineData(15, 20, 13, QuotaStage.None)]
    [InlineData(15, 20, 14, QuotaStage.Nudge)]
    [InlineData(15, 20, 15, QuotaStage.Nudge)]
    [InlineData(15, 20, 16, QuotaStage.SoftLimit)]
    [InlineData(15, 20, 17, QuotaStage.SoftLimit)]
    [InlineData(15, 20, 18, QuotaStage.FinalWarning)]
    [InlineData(15, 20, 19, QuotaStage.FinalWarning)]
    [InlineData(15, 20, 20, QuotaStage.Stop)]
    // pro/summaries, soft 150 / hard 200: nudge 140–150, soft 151–179, final 180–199
    [InlineData(150, 200, 139, QuotaStage.None)]
    [InlineData(150, 200, 140, QuotaStage.Nudge)]
    [InlineData(150, 200, 150, QuotaStage.Nudge)]
    [InlineData(150, 200, 151, QuotaStage.SoftLimit)]
    [InlineData(150, 200, 179, QuotaStage.SoftLimit)]
    [InlineData(150, 200, 180, QuotaStage.FinalWarning)]
    [InlineData(150, 200, 199, QuotaStage.FinalWarning)]
    // a soft limit below the nudge: the soft warning comes first and the nudge never shows
    [InlineData(2, 10, 3, QuotaStage.SoftLimit)]
    [InlineData(2, 10, 7, QuotaStage.SoftLimit)]
    // a soft limit past the final warning: the final warning wins from 90 %
    [InlineData(9, 10, 8, QuotaStage.Nudge)]
    [InlineData(9, 10, 9, QuotaStage.FinalWarning)]
    // tiny limits round up: hard 3 nudges and warns finally at 3, which is already the stop
    [InlineData(2, 3, 2, QuotaStage.None)]
    [InlineData(2, 3, 3, QuotaStage.Stop)]
    [InlineData(0, 1, 0, QuotaStage.None)]
    [InlineData(0, 0, 0, QuotaStage.Stop)]
    public void The_stage_follows_nudge_soft_final_and_stop_and_the_later_one_wins(long soft, long hard, long used, QuotaStage stage) =>
        Assert.Equal(stage, QuotaStages.ForUsage(Cell(OverQuotaAction.Block, soft, hard), used, Defaults));

    [Theory]
    [InlineData(0.5, 0.8, 4, QuotaStage.None)]
    [InlineData(0.5, 0.8, 5, QuotaStage.Nudge)]
    [InlineData(0.5, 0.8, 8, QuotaStage.FinalWarning)]
    public void The_nudge_and_final_warning_move_with_the_configured_shares(double nudgeAt, double finalAt, long used, QuotaStage stage) =>
        Assert.Equal(stage, QuotaStages.ForUsage(Cell(OverQuotaAction.Block, 10, 10), used, new StageThresholds(nudgeAt, finalAt)));

    [Theory]
    [InlineData(0.7, 0.9, true)]
    [InlineData(0.9, 0.7, false)]
    [InlineData(0.7, 0.7, false)]
    [InlineData(0, 0.9, false)]
    [InlineData(0.7, 1, false)]
    public void Thresholds_are_shares_below_one_with_the_nudge_first(double nudgeAt, double finalAt, bool valid) =>
        Assert.Equal(valid, new StageThresholds(nudgeAt, finalAt).Problem() is null);

    public static TheoryData<QuotaOutcome, QuotaStage> Outcomes => new()
    {
        // refused at the wall: the stop; refused with quota left (6 + 5 > 10): not enough left
        { new QuotaOutcome(false, Decision.Deny, QuotaState.HardLimit, 10, 0, "summaries", 0), QuotaStage.Stop },
        { new QuotaOutcome(false, Decision.Deny, QuotaState.HardLimit, 10, 0, null, 0), QuotaStage.Stop },
        { new QuotaOutcome(false, Decision.Deny, QuotaState.Ok, 6, 4, null, 0), QuotaStage.NotEnoughLeft },
        // allowed: the stage of the usage after the request, overage past the wall included
        { new QuotaOutcome(true, Decision.Overage, QuotaState.HardLimit, 11, 0, null, 1), QuotaStage.Stop },
        { new QuotaOutcome(true, Decision.Allow, QuotaState.Ok, 3, 7, null, 0), QuotaStage.None },
        { new QuotaOutcome(true, Decision.Allow, QuotaState.Ok, 7, 3, null, 0), QuotaStage.Nudge },
        { new QuotaOutcome(true, Decision.Warn, QuotaState.SoftLimit, 8, 2, null, 0), QuotaStage.SoftLimit },
        { new QuotaOutcome(true, Decision.Warn, QuotaState.SoftLimit, 9, 1, null, 0), QuotaStage.FinalWarning },
        { new QuotaOutcome(true, Decision.Warn, QuotaState.HardLimit, 14, 0, null, 0), QuotaStage.Stop },
    };

    [Theory]
    [MemberData(nameof(Outcomes))]
    public void A_refusal_is_the_stop_or_not_enough_left_and_otherwise_usage_decides(QuotaOutcome outcome, QuotaStage stage) =>
        Assert.Equal(stage, QuotaStages.For(Cell(OverQuotaAction.Block, 7, 10), outcome, Defaults));

    [Theory]
    [InlineData(QuotaStage.Nudge, OverQuotaAction.Block, false, NoticeSeverity.Info)]
    [InlineData(QuotaStage.SoftLimit, OverQuotaAction.Block, false, NoticeSeverity.Warning)]
    [InlineData(QuotaStage.FinalWarning, OverQuotaAction.Overage, false, NoticeSeverity.Warning)]
    [InlineData(QuotaStage.Stop, OverQuotaAction.Block, false, NoticeSeverity.Error)] // the last one went through; the next will not
    [InlineData(QuotaStage.Stop, OverQuotaAction.Block, true, NoticeSeverity.Error)]
    [InlineData(QuotaStage.Stop, OverQuotaAction.Degrade, true, NoticeSeverity.Error)]
    [InlineData(QuotaStage.Stop, OverQuotaAction.Overage, false, NoticeSeverity.Warning)] // work goes on, billed
    [InlineData(QuotaStage.Stop, OverQuotaAction.Warn, false, NoticeSeverity.Warning)]    // work goes on, advisory
    [InlineData(QuotaStage.NotEnoughLeft, OverQuotaAction.Overage, true, NoticeSeverity.Error)]
    public void Severity_is_info_for_the_nudge_warning_for_warnings_and_error_for_a_stop_that_stops(
        QuotaStage stage, OverQuotaAction action, bool denied, NoticeSeverity severity) =>
        Assert.Equal(severity, QuotaStages.Severity(stage, action, denied));

    // ---- End to end through Decide, soft 7 / hard 10. ----

    [Theory]
    [InlineData(OverQuotaAction.Block, 6, 1, QuotaStage.Nudge)]
    [InlineData(OverQuotaAction.Block, 8, 1, QuotaStage.FinalWarning)]
    [InlineData(OverQuotaAction.Block, 9, 1, QuotaStage.Stop)]
    [InlineData(OverQuotaAction.Block, 10, 1, QuotaStage.Stop)]
    [InlineData(OverQuotaAction.Block, 9, 3, QuotaStage.NotEnoughLeft)]
    [InlineData(OverQuotaAction.Degrade, 10, 1, QuotaStage.Stop)]
    [InlineData(OverQuotaAction.Overage, 10, 1, QuotaStage.Stop)]
    [InlineData(OverQuotaAction.Overage, 2, 10, QuotaStage.Stop)]
    [InlineData(OverQuotaAction.Warn, 7, 1, QuotaStage.SoftLimit)]
    [InlineData(OverQuotaAction.Warn, 12, 1, QuotaStage.Stop)]
    public void Decide_then_stage(OverQuotaAction action, long usedBefore, long quantity, QuotaStage stage)
    {
        var cell = Cell(action, 7, 10);
        Assert.Equal(stage, QuotaStages.For(cell, QuotaRules.Decide(cell, usedBefore, quantity), Defaults));
    }
}
