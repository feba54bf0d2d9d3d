using NodaTime;
using TenantQuota.Domain.Budgets;
using TenantQuota.Domain.Matrix;

namespace TenantQuota.Domain.Tests;

/// <summary>The rules over tenant, department and subject levels (ADR 0013), worked out by hand.</summary>
public class LevelRulesTests
{
    private static readonly Instant Now = Instant.FromUtc(2026, 12, 10, 12, 0);
    private static readonly QuotaCell SubjectCell = new(7, 10, ResetCadence.Daily, OverQuotaAction.Block, null);

    private static Budget Requests(long limit, OverQuotaAction action = OverQuotaAction.Block, string? fallback = null) =>
        new(limit, "request", ResetCadence.Monthly, action, fallback, []);

    /// <summary>The lines of a request by ana; she is in a department when it has a budget or a priority is given.</summary>
    private static IReadOnlyList<LevelCharge> Plan(Budget? tenant, Budget? department, long quantity = 1, DepartmentPriority? priority = null) =>
        ChargePlan.For("acme", tenant,
            department is null && priority is null ? null : new Department("marketing", "Marketing", priority ?? DepartmentPriority.Normal, department),
            "ana", "summaries", SubjectCell, new UsageAmount(quantity, "request"), DateTimeZone.Utc, Now, PriorityShares.Default);

    [Fact]
    public void When_several_levels_refuse_the_widest_is_the_limiting_one_and_names_its_fallback()
    {
        var lines = Plan(Requests(100), Requests(5, OverQuotaAction.Degrade, "drafts"), quantity: 2);

        var decision = LevelRules.Decide(lines, [89, 4, 9]); // tenant: 91 > 90% of 100; department: 6 > 5; subject: 11 > 10

        Assert.Equal((false, QuotaLevel.Tenant, RefusalReason.Priority), (decision.Allowed, decision.LimitingLevel, decision.Reason));
        Assert.All(decision.Levels, l => Assert.Equal(l.Before, l.Used)); // nothing is charged anywhere
        Assert.Equal((9L, null), (decision.Subject.Used, decision.Subject.FallbackClass)); // the tenant budget blocks: no fallback
    }

    [Fact]
    public void A_degrading_department_names_its_fallback_class_where_the_subject_cell_would_have_admitted()
    {
        var decision = LevelRules.Decide(Plan(null, Requests(5, OverQuotaAction.Degrade, "drafts")), [5, 0]);

        Assert.Equal((false, QuotaLevel.Department, "drafts", RefusalReason.Limit), (decision.Allowed, decision.LimitingLevel, decision.Subject.FallbackClass, decision.Reason));
    }

    [Fact]
    public void When_admitted_the_limiting_level_is_the_one_with_the_smallest_share_left_and_every_level_is_charged()
    {
        var decision = LevelRules.Decide(Plan(Requests(100), Requests(20)), [50, 15, 2]); // left after: 49%, 20%, 70%

        Assert.Equal((true, QuotaLevel.Department), (decision.Allowed, decision.LimitingLevel));
        Assert.Equal([51L, 16L, 3L], decision.Levels.Select(l => l.Used));
    }

    [Theory]
    [InlineData(DepartmentPriority.Low, 79, true)]     // 80 of the 80 a low department may use
    [InlineData(DepartmentPriority.Low, 80, false)]
    [InlineData(DepartmentPriority.Normal, 89, true)]
    [InlineData(DepartmentPriority.Normal, 90, false)]
    [InlineData(DepartmentPriority.High, 99, true)]
    [InlineData(DepartmentPriority.High, 100, false)]  // the limit itself: reason limit, not priority
    public void Priorities_use_their_share_of_the_tenant_budget(DepartmentPriority priority, long tenantBefore, bool admitted)
    {
        var decision = LevelRules.Decide(Plan(Requests(100), null, priority: priority), [tenantBefore, 0]);

        Assert.Equal(admitted, decision.Allowed);
        if (!admitted) Assert.Equal(priority == DepartmentPriority.High ? RefusalReason.Limit : RefusalReason.Priority, decision.Reason);
    }

    [Fact]
    public void A_level_the_request_adds_nothing_to_never_refuses_even_past_its_limit()
    {
        var usd = new Budget(1_000_000, Budget.Usd, ResetCadence.Monthly, OverQuotaAction.Block, null, []);
        var lines = Plan(usd, null); // no model: nothing in dollars

        var decision = LevelRules.Decide(lines, [1_500_000, 0]);

        Assert.Equal((true, 0L, (long?)null), (decision.Allowed, lines[0].Amount, lines[0].Ceiling));
        Assert.Equal(QuotaState.HardLimit, decision.Levels[0].State);
    }

    [Fact]
    public void A_commit_past_a_block_limit_is_recorded_as_such_and_an_overage_cell_bills_the_excess()
    {
        var block = LevelRules.Decide(Plan(null, Requests(5), quantity: 4), [3, 8], settled: true);
        var overage = LevelRules.Decide(
            ChargePlan.For("acme", null, null, "ana", "drafts", SubjectCell with { OverQuota = OverQuotaAction.Overage },
                new UsageAmount(4, "request"), DateTimeZone.Utc, Now, PriorityShares.Default), [8], settled: true);

        Assert.Equal((true, Decision.Warn, 12L, QuotaState.HardLimit, 7L), (block.Allowed, block.Subject.Decision, block.Subject.Used, block.Subject.State, block.Levels[0].Used));
        Assert.Equal((Decision.Overage, 2L), (overage.Subject.Decision, overage.Subject.BillableQuantity));
    }

    [Theory]
    [InlineData("request", 3)]
    [InlineData("tokens", 1500)]
    [InlineData("usd", 2_800)]
    [InlineData("document", 0)]
    public void A_budget_counts_what_the_request_has_in_its_unit(string unit, long amount)
    {
        var usage = new UsageAmount(3, "request", InputTokens: 1000, OutputTokens: 500, CostMicroUsd: 2_800);

        Assert.Equal(amount, usage.In(unit));
    }

    [Fact]
    public void A_tokens_class_counts_its_quantity_in_a_tokens_budget_once()
    {
        Assert.Equal(1500, new UsageAmount(1500, "tokens", InputTokens: 1000, OutputTokens: 500).In("tokens"));
    }
}
