using NodaTime;
using TenantQuota.Domain.Budgets;
using TenantQuota.Domain.Matrix;

namespace TenantQuota.Domain.Tests;

/// <summary>Rolling resets and burst allowances in the matrix file, and how a burst decides (ADR 0014).</summary>
public sealed class RollingAndBurstCellTests
{
    private static string Matrix(string cell) => $$"""
        version: "1"
        tiers: [free]
        operationClasses:
          - { name: chat, unit: tokens }
        matrix:
          free:
            chat: {{cell}}
        """;

    [Fact]
    public void A_rolling_reset_and_a_burst_are_read_and_written_back_as_in_the_file()
    {
        var cell = QuotaMatrixParser.Parse(Matrix("{ softLimit: 8, hardLimit: 10, reset: rolling:5h, overQuota: block, burst: 3 }")).Cell("free", "chat");

        Assert.Equal((ResetCadence.Rolling, 5, 3L, "rolling:5h"), (cell.Reset, cell.RollingHours, cell.Burst, cell.ResetName));
    }

    [Theory]
    [InlineData("{ softLimit: 8, hardLimit: 10, reset: rolling:0h, overQuota: block }", "field 'reset': 'rolling:0h' is not one of")]
    [InlineData("{ softLimit: 8, hardLimit: 10, reset: rolling:721h, overQuota: block }", "field 'reset'")]
    [InlineData("{ softLimit: 8, hardLimit: 10, reset: rolling:5, overQuota: block }", "field 'reset'")]
    [InlineData("{ softLimit: 8, hardLimit: 10, reset: daily, overQuota: warn, burst: 3 }", "field 'burst': only with overQuota 'block' or 'degrade'")]
    [InlineData("{ softLimit: 8, hardLimit: 10, reset: daily, overQuota: block, burst: -3 }", "field 'burst'")]
    public void A_bad_rolling_reset_or_burst_stops_the_start_naming_the_field(string cell, string expected)
    {
        var error = Assert.Throws<QuotaMatrixException>(() => QuotaMatrixParser.Parse(Matrix(cell)));

        Assert.Contains(error.Errors, e => e.Contains(expected));
    }

    [Theory]
    // before, amount, burst used before → admitted, taken from the burst (hard 10, burst 3)
    [InlineData(9, 1, 0, true, 0)]      // up to the limit: no burst needed
    [InlineData(9, 3, 0, true, 2)]      // 12: two past the limit
    [InlineData(11, 2, 1, true, 2)]     // 13: already past it, the whole request from the burst (1 + 2 = 3)
    [InlineData(11, 2, 2, false, 0)]    // 2 + 2 would pass the burst
    [InlineData(9, 5, 0, false, 0)]     // 4 past the limit, more than the burst
    public void A_burst_takes_only_the_part_past_the_limit_and_only_while_it_lasts(long before, long amount, long burstBefore, bool admitted, long taken)
    {
        var cell = new QuotaCell(8, 10, ResetCadence.Daily, OverQuotaAction.Block, null, Burst: 3);
        var now = Instant.FromUtc(2026, 12, 10, 12, 0);
        var lines = ChargePlan.For("acme", null, null, "ana", "chat", cell, new UsageAmount(amount, "tokens"), DateTimeZone.Utc, now, PriorityShares.Default);

        var decision = LevelRules.Decide(lines, [before], burstBefore: [burstBefore]);

        Assert.Equal((admitted, taken), (decision.Allowed, decision.Levels[0].FromBurst));
        if (admitted && taken > 0) Assert.Equal((Decision.Warn, QuotaState.HardLimit), (decision.Subject.Decision, decision.Subject.State));
    }
}
