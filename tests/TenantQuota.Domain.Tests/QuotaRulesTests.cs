using TenantQuota.Domain;
using TenantQuota.Domain.Matrix;

namespace TenantQuota.Domain.Tests;

// Every expected value below was worked out by hand from the contract (API-v1.md, "Entitlements"):
//   used = usedBefore + quantity when admitted, usedBefore when denied;
//   remaining = max(0, hardLimit - used);
//   decision: allow (used <= soft), warn (soft < used <= hard), past hard: deny (block, degrade),
//             overage (allowed, excess billable), warn (advisory);
//   state: ok (used <= soft), soft_limit (soft < used < hard), hard_limit (used >= hard, or denied).
// Unless a row says otherwise the cell is soft 7 / hard 10 (the shipped free/summaries shape).
public class QuotaRulesTests
{
    private const string Fallback = "summaries";

    private static QuotaCell Cell(OverQuotaAction action, long soft, long hard) =>
        new(soft, hard, ResetCadence.Daily, action, action == OverQuotaAction.Degrade ? Fallback : null);

    // ---- Up to the hard limit every action behaves the same: admitted, nothing billable. ----

    [Theory]
    // well under soft
    [InlineData(OverQuotaAction.Block, 7, 10, 2, 1, Decision.Allow, QuotaState.Ok, 3, 7)]
    [InlineData(OverQuotaAction.Degrade, 7, 10, 2, 1, Decision.Allow, QuotaState.Ok, 3, 7)]
    [InlineData(OverQuotaAction.Overage, 7, 10, 2, 1, Decision.Allow, QuotaState.Ok, 3, 7)]
    [InlineData(OverQuotaAction.Warn, 7, 10, 2, 1, Decision.Allow, QuotaState.Ok, 3, 7)]
    // first request of an empty window
    [InlineData(OverQuotaAction.Block, 7, 10, 0, 1, Decision.Allow, QuotaState.Ok, 1, 9)]
    // landing exactly on soft is still allow / ok
    [InlineData(OverQuotaAction.Block, 7, 10, 6, 1, Decision.Allow, QuotaState.Ok, 7, 3)]
    [InlineData(OverQuotaAction.Degrade, 7, 10, 6, 1, Decision.Allow, QuotaState.Ok, 7, 3)]
    [InlineData(OverQuotaAction.Overage, 7, 10, 6, 1, Decision.Allow, QuotaState.Ok, 7, 3)]
    [InlineData(OverQuotaAction.Warn, 7, 10, 6, 1, Decision.Allow, QuotaState.Ok, 7, 3)]
    // one past soft: warn / soft_limit
    [InlineData(OverQuotaAction.Block, 7, 10, 7, 1, Decision.Warn, QuotaState.SoftLimit, 8, 2)]
    [InlineData(OverQuotaAction.Degrade, 7, 10, 7, 1, Decision.Warn, QuotaState.SoftLimit, 8, 2)]
    [InlineData(OverQuotaAction.Overage, 7, 10, 7, 1, Decision.Warn, QuotaState.SoftLimit, 8, 2)]
    [InlineData(OverQuotaAction.Warn, 7, 10, 7, 1, Decision.Warn, QuotaState.SoftLimit, 8, 2)]
    // landing exactly on hard is admitted (warn) and the window is now at hard_limit
    [InlineData(OverQuotaAction.Block, 7, 10, 9, 1, Decision.Warn, QuotaState.HardLimit, 10, 0)]
    [InlineData(OverQuotaAction.Degrade, 7, 10, 9, 1, Decision.Warn, QuotaState.HardLimit, 10, 0)]
    [InlineData(OverQuotaAction.Overage, 7, 10, 9, 1, Decision.Warn, QuotaState.HardLimit, 10, 0)]
    [InlineData(OverQuotaAction.Warn, 7, 10, 9, 1, Decision.Warn, QuotaState.HardLimit, 10, 0)]
    // quantity > 1 jumping from under soft to past soft in one step
    [InlineData(OverQuotaAction.Block, 7, 10, 5, 4, Decision.Warn, QuotaState.SoftLimit, 9, 1)]
    [InlineData(OverQuotaAction.Overage, 7, 10, 5, 4, Decision.Warn, QuotaState.SoftLimit, 9, 1)]
    // quantity > 1 jumping from under soft exactly onto hard
    [InlineData(OverQuotaAction.Block, 7, 10, 5, 5, Decision.Warn, QuotaState.HardLimit, 10, 0)]
    [InlineData(OverQuotaAction.Degrade, 7, 10, 0, 10, Decision.Warn, QuotaState.HardLimit, 10, 0)]
    // softLimit == hardLimit: used <= soft is allow, even when the window lands on hard
    [InlineData(OverQuotaAction.Block, 10, 10, 8, 1, Decision.Allow, QuotaState.Ok, 9, 1)]
    [InlineData(OverQuotaAction.Block, 10, 10, 9, 1, Decision.Allow, QuotaState.HardLimit, 10, 0)]
    [InlineData(OverQuotaAction.Overage, 10, 10, 9, 1, Decision.Allow, QuotaState.HardLimit, 10, 0)]
    // softLimit 0: every unit is past soft
    [InlineData(OverQuotaAction.Block, 0, 5, 0, 1, Decision.Warn, QuotaState.SoftLimit, 1, 4)]
    [InlineData(OverQuotaAction.Warn, 0, 5, 4, 1, Decision.Warn, QuotaState.HardLimit, 5, 0)]
    public void Admits_up_to_the_hard_limit_whatever_the_action(
        OverQuotaAction action, long soft, long hard, long usedBefore, long quantity,
        Decision decision, QuotaState state, long used, long remaining)
    {
        var outcome = QuotaRules.Decide(Cell(action, soft, hard), usedBefore, quantity);

        Assert.Equal(new QuotaOutcome(true, decision, state, used, remaining, FallbackClass: null, BillableQuantity: 0), outcome);
    }

    // ---- Past the hard limit the action decides. ----

    [Theory]
    // one past hard
    [InlineData(7, 10, 10, 1, 10, 0, QuotaState.HardLimit)]
    // quantity 3 from 9 crosses hard in one step: nothing of it is admitted; the window stays past soft
    [InlineData(7, 10, 9, 3, 9, 1, QuotaState.SoftLimit)]
    // quantity 5 from 6 crosses soft and hard in one step; the window stays under soft
    [InlineData(7, 10, 6, 5, 6, 4, QuotaState.Ok)]
    // a window already past hard (e.g. after a downgrade) stays where it is
    [InlineData(7, 10, 15, 1, 15, 0, QuotaState.HardLimit)]
    // hardLimit 0: nothing is ever admitted
    [InlineData(0, 0, 0, 1, 0, 0, QuotaState.HardLimit)]
    // softLimit == hardLimit
    [InlineData(10, 10, 10, 1, 10, 0, QuotaState.HardLimit)]
    public void Denies_past_hard_limit_when_action_is_block(
        long soft, long hard, long usedBefore, long quantity, long used, long remaining, QuotaState state)
    {
        var outcome = QuotaRules.Decide(Cell(OverQuotaAction.Block, soft, hard), usedBefore, quantity);

        Assert.Equal(new QuotaOutcome(false, Decision.Deny, state, used, remaining, FallbackClass: null, BillableQuantity: 0), outcome);
    }

    [Theory]
    [InlineData(7, 10, 10, 1, 10, 0, QuotaState.HardLimit)]
    [InlineData(7, 10, 9, 3, 9, 1, QuotaState.SoftLimit)]
    [InlineData(7, 10, 6, 5, 6, 4, QuotaState.Ok)]
    [InlineData(7, 10, 15, 1, 15, 0, QuotaState.HardLimit)]
    [InlineData(0, 0, 0, 1, 0, 0, QuotaState.HardLimit)]
    [InlineData(10, 10, 10, 1, 10, 0, QuotaState.HardLimit)]
    public void Denies_past_hard_limit_and_names_the_fallback_class_when_action_is_degrade(
        long soft, long hard, long usedBefore, long quantity, long used, long remaining, QuotaState state)
    {
        var outcome = QuotaRules.Decide(Cell(OverQuotaAction.Degrade, soft, hard), usedBefore, quantity);

        Assert.Equal(new QuotaOutcome(false, Decision.Deny, state, used, remaining, "summaries", BillableQuantity: 0), outcome);
    }

    [Theory]
    // one past hard: 1 billable
    [InlineData(7, 10, 10, 1, 11, 1)]
    // 9 + 3 = 12: only the 2 units past hard 10 are billable
    [InlineData(7, 10, 9, 3, 12, 2)]
    // 6 + 5 = 11 crosses soft and hard at once: 1 billable
    [InlineData(7, 10, 6, 5, 11, 1)]
    // already past hard: the whole quantity is billable
    [InlineData(7, 10, 15, 3, 18, 3)]
    [InlineData(7, 10, 11, 1, 12, 1)]
    // hardLimit 0: every unit is billable
    [InlineData(0, 0, 0, 1, 1, 1)]
    [InlineData(0, 0, 0, 4, 4, 4)]
    [InlineData(0, 0, 4, 2, 6, 2)]
    // softLimit == hardLimit
    [InlineData(10, 10, 10, 1, 11, 1)]
    [InlineData(10, 10, 8, 5, 13, 3)]
    public void Admits_past_hard_limit_and_bills_only_the_excess_when_action_is_overage(
        long soft, long hard, long usedBefore, long quantity, long used, long billable)
    {
        var outcome = QuotaRules.Decide(Cell(OverQuotaAction.Overage, soft, hard), usedBefore, quantity);

        Assert.Equal(new QuotaOutcome(true, Decision.Overage, QuotaState.HardLimit, used, Remaining: 0, FallbackClass: null, billable), outcome);
    }

    [Theory]
    [InlineData(7, 10, 10, 1, 11)]
    [InlineData(7, 10, 9, 3, 12)]
    [InlineData(7, 10, 6, 5, 11)]
    [InlineData(7, 10, 15, 3, 18)]
    [InlineData(0, 0, 0, 1, 1)]
    [InlineData(10, 10, 10, 1, 11)]
    public void Admits_past_hard_limit_as_a_warning_without_billing_when_action_is_warn(
        long soft, long hard, long usedBefore, long quantity, long used)
    {
        var outcome = QuotaRules.Decide(Cell(OverQuotaAction.Warn, soft, hard), usedBefore, quantity);

        Assert.Equal(new QuotaOutcome(true, Decision.Warn, QuotaState.HardLimit, used, Remaining: 0, FallbackClass: null, BillableQuantity: 0), outcome);
    }

    [Fact]
    public void Degrade_sets_the_fallback_class_only_on_denial()
    {
        var cell = Cell(OverQuotaAction.Degrade, 7, 10);

        Assert.Null(QuotaRules.Decide(cell, 2, 1).FallbackClass);
        Assert.Null(QuotaRules.Decide(cell, 9, 1).FallbackClass);
        Assert.Equal("summaries", QuotaRules.Decide(cell, 10, 1).FallbackClass);
    }

    [Fact]
    public void Decide_names_the_fallback_class_of_the_cell_it_is_given()
    {
        var cell = new QuotaCell(2, 3, ResetCadence.Weekly, OverQuotaAction.Degrade, "drafts");

        var outcome = QuotaRules.Decide(cell, 3, 1);

        Assert.False(outcome.Allowed);
        Assert.Equal("drafts", outcome.FallbackClass);
    }

    // ---- Admission ceiling ----

    [Theory]
    [InlineData(OverQuotaAction.Block, 10, 10L)]
    [InlineData(OverQuotaAction.Degrade, 10, 10L)]
    [InlineData(OverQuotaAction.Block, 0, 0L)]
    [InlineData(OverQuotaAction.Degrade, 500000, 500000L)]
    [InlineData(OverQuotaAction.Overage, 10, null)]
    [InlineData(OverQuotaAction.Warn, 10, null)]
    [InlineData(OverQuotaAction.Overage, 0, null)]
    [InlineData(OverQuotaAction.Warn, 0, null)]
    public void Admission_ceiling_is_the_hard_limit_for_block_and_degrade_and_none_otherwise(
        OverQuotaAction action, long hard, long? ceiling)
    {
        Assert.Equal(ceiling, QuotaRules.AdmissionCeiling(Cell(action, 0, hard)));
    }

    // ---- StateOf / Remaining ----

    [Theory]
    [InlineData(7, 10, 0, QuotaState.Ok)]
    [InlineData(7, 10, 6, QuotaState.Ok)]
    [InlineData(7, 10, 7, QuotaState.Ok)]
    [InlineData(7, 10, 8, QuotaState.SoftLimit)]
    [InlineData(7, 10, 9, QuotaState.SoftLimit)]
    [InlineData(7, 10, 10, QuotaState.HardLimit)]
    [InlineData(7, 10, 11, QuotaState.HardLimit)]
    [InlineData(7, 10, 1000, QuotaState.HardLimit)]
    [InlineData(10, 10, 9, QuotaState.Ok)]
    [InlineData(10, 10, 10, QuotaState.HardLimit)]
    [InlineData(0, 5, 0, QuotaState.Ok)]
    [InlineData(0, 5, 1, QuotaState.SoftLimit)]
    [InlineData(0, 0, 0, QuotaState.HardLimit)]
    public void State_is_ok_up_to_soft_then_soft_limit_then_hard_limit_from_hard_on(
        long soft, long hard, long used, QuotaState state)
    {
        Assert.Equal(state, QuotaRules.StateOf(Cell(OverQuotaAction.Block, soft, hard), used));
    }

    [Theory]
    [InlineData(10, 0, 10)]
    [InlineData(10, 1, 9)]
    [InlineData(10, 9, 1)]
    [InlineData(10, 10, 0)]
    [InlineData(10, 11, 0)]
    [InlineData(10, 1000, 0)]
    [InlineData(0, 0, 0)]
    [InlineData(0, 3, 0)]
    public void Remaining_is_what_is_left_under_hard_and_never_negative(long hard, long used, long remaining)
    {
        Assert.Equal(remaining, QuotaRules.Remaining(Cell(OverQuotaAction.Overage, 0, hard), used));
    }

    // ---- Invalid arguments ----

    [Theory]
    [InlineData(-1, 1, "usedBefore")]
    [InlineData(-100, 1, "usedBefore")]
    [InlineData(0, 0, "quantity")]
    [InlineData(5, 0, "quantity")]
    [InlineData(5, -1, "quantity")]
    public void Rejects_negative_usage_and_non_positive_quantity(long usedBefore, long quantity, string parameter)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(
            () => QuotaRules.Decide(Cell(OverQuotaAction.Block, 7, 10), usedBefore, quantity));

        Assert.Equal(parameter, e.ParamName);
    }
}
