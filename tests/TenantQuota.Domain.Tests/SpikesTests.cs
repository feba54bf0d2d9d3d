using NodaTime;
using TenantQuota.Domain.Budgets;
using TenantQuota.Domain.Governance;
using TenantQuota.Domain.Matrix;

namespace TenantQuota.Domain.Tests;

/// <summary>The spike rule (median + k × scaled MAD of the same hour, at least a minimum volume) and what a hold does to a charge.</summary>
public sealed class SpikesTests
{
    private static readonly decimal[] Usual = [4, 5, 6, 5, 5, 4, 6, 5, 5, 5, 4, 6, 5, 5];

    [Fact]
    public void The_threshold_is_the_median_plus_k_scaled_median_absolute_deviations()
    {
        // median 5, |x − 5| has eight 0s and six 1s: MAD 0, so the spread is a tenth of the median, 0.5; k = 4 → 7.
        Assert.Equal(new Spike(7.5m, 5, 7), Spikes.Evaluate(7.5m, Usual, sensitivity: 4, minimumVolume: 1));
        Assert.Null(Spikes.Evaluate(7m, Usual, sensitivity: 4, minimumVolume: 1)); // at the threshold is not above it

        decimal[] spread = [0, 20, 0, 20, 0, 20, 10, 0, 20, 0, 20, 0, 20, 10]; // median 10, MAD 10 → spread 14.826
        Assert.Equal(10m + 3 * 14.826m, Spikes.Evaluate(100, spread, sensitivity: 3, minimumVolume: 1)!.Threshold);
        Assert.Null(Spikes.Evaluate(54, spread, sensitivity: 3, minimumVolume: 1));
    }

    [Fact]
    public void An_hour_under_the_minimum_volume_is_never_a_spike_however_new()
    {
        decimal[] never = new decimal[14];
        Assert.Null(Spikes.Evaluate(19, never, sensitivity: 4, minimumVolume: 20));
        Assert.Equal(new Spike(20, 0, 0), Spikes.Evaluate(20, never, sensitivity: 4, minimumVolume: 20));
        Assert.Null(Spikes.Evaluate(0, never, sensitivity: 4, minimumVolume: 0));
    }

    [Fact]
    public void The_median_of_an_even_count_is_the_mean_of_the_middle_two() =>
        Assert.Equal(4.5m, Spikes.Median([9, 1, 4, 5]));

    private static readonly QuotaCell Cell = new(10, 20, ResetCadence.Daily, OverQuotaAction.Block, FallbackClass: null);

    private static IReadOnlyList<LevelCharge> Plan(string operationClass, AnomalyHold? own, Department? department = null) =>
        ChargePlan.For("t", tenantBudget: null, department, "ana", operationClass, Cell, new UsageAmount(1, "request"), DateTimeZone.Utc,
            Instant.FromUtc(2026, 11, 20, 3, 0), PriorityShares.Default, hold: own);

    [Fact]
    public void A_block_refuses_every_class_and_says_who_holds()
    {
        var lines = Plan("drafts", own: null, new Department("research", "Research", DepartmentPriority.Normal, Budget: null, Hold: new AnomalyHold(QuotaLevel.Department, null)));
        var decision = LevelRules.Decide(lines, [3]);

        Assert.False(decision.Allowed);
        Assert.Equal((RefusalReason.Anomaly, QuotaLevel.Department, (string?)null), (decision.Reason, decision.LimitingLevel, decision.Subject.FallbackClass));
        Assert.Equal(3, decision.Subject.Used);
    }

    [Fact]
    public void A_hold_is_the_refusal_even_when_a_budget_refuses_too()
    {
        var spent = new Budget(10, "request", ResetCadence.Monthly, OverQuotaAction.Block, FallbackClass: null, AlertThresholds: []);
        var lines = ChargePlan.For("t", spent, department: null, "ana", "summaries", Cell, new UsageAmount(1, "request"), DateTimeZone.Utc,
            Instant.FromUtc(2026, 11, 20, 3, 0), PriorityShares.Default, hold: new AnomalyHold(QuotaLevel.Subject, null));
        var decision = LevelRules.Decide(lines, [10, 0]);

        Assert.Equal((false, RefusalReason.Anomaly, QuotaLevel.Subject), (decision.Allowed, decision.Reason!.Value, decision.LimitingLevel));
    }

    [Fact]
    public void A_degrade_points_at_its_fallback_class_and_lets_it_through_unless_the_department_blocks()
    {
        var degrade = new AnomalyHold(QuotaLevel.Subject, "drafts");
        var refused = LevelRules.Decide(Plan("summaries", degrade), [0]);
        var fallback = LevelRules.Decide(Plan("drafts", degrade), [0]);
        var blockedDepartment = new Department("research", "Research", DepartmentPriority.Normal, Budget: null, Hold: new AnomalyHold(QuotaLevel.Department, null));
        var both = LevelRules.Decide(Plan("drafts", degrade, blockedDepartment), [0]);

        Assert.Equal((false, RefusalReason.Anomaly, "drafts"), (refused.Allowed, refused.Reason!.Value, refused.Subject.FallbackClass));
        Assert.True(fallback.Allowed);
        Assert.Equal((false, QuotaLevel.Department), (both.Allowed, both.LimitingLevel));
    }
}
