using TenantQuota.Domain;
using TenantQuota.Domain.Matrix;

namespace TenantQuota.Domain.Tests;

// Nudge thresholds worked out by hand as ceil(0.8 * soft):
//   soft 1 -> 1 (0.8), 2 -> 2 (1.6), 3 -> 3 (2.4), 5 -> 4 (4.0), 7 -> 6 (5.6), 10 -> 8 (8.0),
//   15 -> 12 (12.0), 150 -> 120 (120.0), 4000 -> 3200 (3200.0), 8 -> 7 (6.4).
public class QuotaNoticesTests
{
    private static QuotaCell Cell(OverQuotaAction action, long soft, long hard) =>
        new(soft, hard, ResetCadence.Daily, action, action == OverQuotaAction.Degrade ? "summaries" : null);

    [Theory]
    // soft 7 / hard 10: none up to 5, nudge 6..7, soft_limit 8..9, hard_limit from 10
    [InlineData(7, 10, 0, QuotaNotice.None)]
    [InlineData(7, 10, 5, QuotaNotice.None)]
    [InlineData(7, 10, 6, QuotaNotice.Nudge)]
    [InlineData(7, 10, 7, QuotaNotice.Nudge)]
    [InlineData(7, 10, 8, QuotaNotice.SoftLimit)]
    [InlineData(7, 10, 9, QuotaNotice.SoftLimit)]
    [InlineData(7, 10, 10, QuotaNotice.HardLimit)]
    [InlineData(7, 10, 12, QuotaNotice.HardLimit)]
    // exact 80%: soft 10 nudges from 8, soft 5 from 4, soft 15 from 12, soft 150 from 120
    [InlineData(10, 12, 7, QuotaNotice.None)]
    [InlineData(10, 12, 8, QuotaNotice.Nudge)]
    [InlineData(10, 12, 10, QuotaNotice.Nudge)]
    [InlineData(10, 12, 11, QuotaNotice.SoftLimit)]
    [InlineData(5, 6, 3, QuotaNotice.None)]
    [InlineData(5, 6, 4, QuotaNotice.Nudge)]
    [InlineData(15, 20, 11, QuotaNotice.None)]
    [InlineData(15, 20, 12, QuotaNotice.Nudge)]
    [InlineData(150, 200, 119, QuotaNotice.None)]
    [InlineData(150, 200, 120, QuotaNotice.Nudge)]
    [InlineData(150, 200, 150, QuotaNotice.Nudge)]
    [InlineData(150, 200, 151, QuotaNotice.SoftLimit)]
    [InlineData(4000, 5000, 3199, QuotaNotice.None)]
    [InlineData(4000, 5000, 3200, QuotaNotice.Nudge)]
    // rounding up: soft 8 nudges from 7 (6.4), soft 3 from 3 (2.4), soft 2 from 2 (1.6), soft 1 from 1
    [InlineData(8, 10, 6, QuotaNotice.None)]
    [InlineData(8, 10, 7, QuotaNotice.Nudge)]
    [InlineData(3, 5, 2, QuotaNotice.None)]
    [InlineData(3, 5, 3, QuotaNotice.Nudge)]
    [InlineData(2, 3, 1, QuotaNotice.None)]
    [InlineData(2, 3, 2, QuotaNotice.Nudge)]
    [InlineData(1, 3, 0, QuotaNotice.None)]
    [InlineData(1, 3, 1, QuotaNotice.Nudge)]
    // softLimit == hardLimit: the nudge runs up to hard, then hard_limit
    [InlineData(10, 10, 7, QuotaNotice.None)]
    [InlineData(10, 10, 9, QuotaNotice.Nudge)]
    [InlineData(10, 10, 10, QuotaNotice.HardLimit)]
    // softLimit 0 never nudges
    [InlineData(0, 5, 0, QuotaNotice.None)]
    [InlineData(0, 5, 1, QuotaNotice.SoftLimit)]
    [InlineData(0, 5, 5, QuotaNotice.HardLimit)]
    [InlineData(0, 0, 0, QuotaNotice.HardLimit)]
    public void Notice_for_usage_follows_the_nudge_soft_and_hard_thresholds(long soft, long hard, long used, QuotaNotice notice)
    {
        Assert.Equal(notice, QuotaNotices.ForUsage(Cell(OverQuotaAction.Block, soft, hard), used));
    }

    [Theory]
    [InlineData(QuotaNotice.Nudge, NoticeSeverity.Info)]
    [InlineData(QuotaNotice.SoftLimit, NoticeSeverity.Warning)]
    [InlineData(QuotaNotice.HardLimit, NoticeSeverity.Warning)]
    [InlineData(QuotaNotice.Overage, NoticeSeverity.Warning)]
    [InlineData(QuotaNotice.Blocked, NoticeSeverity.Error)]
    [InlineData(QuotaNotice.Degraded, NoticeSeverity.Error)]
    [InlineData(QuotaNotice.NotEnoughLeft, NoticeSeverity.Error)]
    public void Severity_is_info_for_a_nudge_warning_for_warnings_and_error_for_a_stop(QuotaNotice notice, NoticeSeverity severity)
    {
        Assert.Equal(severity, notice.Severity());
    }

    // ---- For(cell, outcome) with hand-built outcomes: the outcome's verdict wins over usage. ----

    public static TheoryData<QuotaOutcome, QuotaNotice> Outcomes => new()
    {
        // denied with a fallback: degraded
        { new QuotaOutcome(false, Decision.Deny, QuotaState.HardLimit, 10, 0, "summaries", 0), QuotaNotice.Degraded },
        // denied without a fallback: blocked, even when the window itself is still under soft (6 + 5 > 10)
        { new QuotaOutcome(false, Decision.Deny, QuotaState.HardLimit, 10, 0, null, 0), QuotaNotice.Blocked },
        { new QuotaOutcome(false, Decision.Deny, QuotaState.Ok, 6, 4, null, 0), QuotaNotice.NotEnoughLeft },
        { new QuotaOutcome(false, Decision.Deny, QuotaState.Ok, 6, 4, "summaries", 0), QuotaNotice.NotEnoughLeft },
        // overage decision
        { new QuotaOutcome(true, Decision.Overage, QuotaState.HardLimit, 11, 0, null, 1), QuotaNotice.Overage },
        // allowed: the notice of the usage after the request
        { new QuotaOutcome(true, Decision.Allow, QuotaState.Ok, 3, 7, null, 0), QuotaNotice.None },
        { new QuotaOutcome(true, Decision.Allow, QuotaState.Ok, 6, 4, null, 0), QuotaNotice.Nudge },
        { new QuotaOutcome(true, Decision.Allow, QuotaState.Ok, 7, 3, null, 0), QuotaNotice.Nudge },
        { new QuotaOutcome(true, Decision.Warn, QuotaState.SoftLimit, 8, 2, null, 0), QuotaNotice.SoftLimit },
        { new QuotaOutcome(true, Decision.Warn, QuotaState.HardLimit, 10, 0, null, 0), QuotaNotice.HardLimit },
        // advisory (warn cell) past hard
        { new QuotaOutcome(true, Decision.Warn, QuotaState.HardLimit, 14, 0, null, 0), QuotaNotice.HardLimit },
    };

    [Theory]
    [MemberData(nameof(Outcomes))]
    public void Notice_for_an_outcome_is_degraded_blocked_overage_or_else_the_usage_notice(QuotaOutcome outcome, QuotaNotice notice)
    {
        Assert.Equal(notice, QuotaNotices.For(Cell(OverQuotaAction.Block, 7, 10), outcome));
    }

    // ---- End to end through Decide, soft 7 / hard 10. ----

    [Theory]
    [InlineData(OverQuotaAction.Block, 5, 1, QuotaNotice.Nudge, NoticeSeverity.Info)]
    [InlineData(OverQuotaAction.Block, 6, 1, QuotaNotice.Nudge, NoticeSeverity.Info)]
    [InlineData(OverQuotaAction.Block, 7, 1, QuotaNotice.SoftLimit, NoticeSeverity.Warning)]
    [InlineData(OverQuotaAction.Block, 9, 1, QuotaNotice.HardLimit, NoticeSeverity.Warning)]
    [InlineData(OverQuotaAction.Block, 10, 1, QuotaNotice.Blocked, NoticeSeverity.Error)]
    [InlineData(OverQuotaAction.Block, 9, 3, QuotaNotice.NotEnoughLeft, NoticeSeverity.Error)]
    [InlineData(OverQuotaAction.Degrade, 9, 1, QuotaNotice.HardLimit, NoticeSeverity.Warning)]
    [InlineData(OverQuotaAction.Degrade, 10, 1, QuotaNotice.Degraded, NoticeSeverity.Error)]
    [InlineData(OverQuotaAction.Degrade, 9, 3, QuotaNotice.NotEnoughLeft, NoticeSeverity.Error)]
    [InlineData(OverQuotaAction.Overage, 5, 1, QuotaNotice.Nudge, NoticeSeverity.Info)]
    [InlineData(OverQuotaAction.Overage, 9, 1, QuotaNotice.HardLimit, NoticeSeverity.Warning)]
    [InlineData(OverQuotaAction.Overage, 10, 1, QuotaNotice.Overage, NoticeSeverity.Warning)]
    [InlineData(OverQuotaAction.Overage, 2, 10, QuotaNotice.Overage, NoticeSeverity.Warning)]
    [InlineData(OverQuotaAction.Warn, 7, 1, QuotaNotice.SoftLimit, NoticeSeverity.Warning)]
    [InlineData(OverQuotaAction.Warn, 10, 1, QuotaNotice.HardLimit, NoticeSeverity.Warning)]
    [InlineData(OverQuotaAction.Warn, 9, 3, QuotaNotice.HardLimit, NoticeSeverity.Warning)]
    public void Decided_outcome_gets_the_notice_and_severity_the_contract_describes(
        OverQuotaAction action, long usedBefore, long quantity, QuotaNotice notice, NoticeSeverity severity)
    {
        var cell = Cell(action, 7, 10);

        var actual = QuotaNotices.For(cell, QuotaRules.Decide(cell, usedBefore, quantity));

        Assert.Equal(notice, actual);
        Assert.Equal(severity, actual.Severity());
    }

    [Theory]
    [InlineData(OverQuotaAction.Block, 0, 1)]
    [InlineData(OverQuotaAction.Block, 4, 1)]
    [InlineData(OverQuotaAction.Degrade, 0, 5)]
    [InlineData(OverQuotaAction.Overage, 2, 2)]
    [InlineData(OverQuotaAction.Warn, 0, 1)]
    public void Decided_outcome_well_under_the_nudge_threshold_has_no_notice(OverQuotaAction action, long usedBefore, long quantity)
    {
        var cell = Cell(action, 7, 10);

        Assert.Equal(QuotaNotice.None, QuotaNotices.For(cell, QuotaRules.Decide(cell, usedBefore, quantity)));
    }
}
