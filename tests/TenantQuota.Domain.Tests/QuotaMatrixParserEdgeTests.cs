using TenantQuota.Domain;
using TenantQuota.Domain.Matrix;

namespace TenantQuota.Domain.Tests;

/// <summary>Malformed matrices that once crashed the parser or slipped through it.</summary>
public sealed class QuotaMatrixParserEdgeTests
{
    private const string Valid = """
        version: "1"
        tiers: [free]
        operationClasses:
          - { name: a, unit: request }
          - { name: b, unit: request }
        matrix:
          free:
            a: { softLimit: 1, hardLimit: 2, reset: daily, overQuota: degrade, fallbackClass: b }
            b: { softLimit: 1, hardLimit: 2, reset: daily, overQuota: block }
        """;

    [Fact]
    public void Accepts_the_baseline() => Assert.Equal("1", QuotaMatrixParser.Parse(Valid).Version);

    [Theory]
    [InlineData("tiers: [free]", "tiers: [free, ~]", "field 'tiers'")]
    [InlineData("  - { name: b, unit: request }", "  - { name: b, unit: request }\n  - ~", "operationClasses.name")]
    [InlineData("tiers: [free]", "tiers: [\"free\\n\"]", "tier 'free\n'")]
    public void Reports_null_and_badly_named_entries_instead_of_crashing(string find, string replace, string expectedFragment)
    {
        var error = Assert.Throws<QuotaMatrixException>(() => QuotaMatrixParser.Parse(Valid.Replace(find, replace)));
        Assert.Contains(error.Errors, e => e.Contains(expectedFragment));
    }

    [Fact]
    public void Rejects_a_duplicated_key_in_a_cell()
    {
        var yaml = Valid.Replace("b: { softLimit: 1, hardLimit: 2,", "b: { softLimit: 1, hardLimit: 2, hardLimit: 9,");
        var error = Assert.Throws<QuotaMatrixException>(() => QuotaMatrixParser.Parse(yaml));
        Assert.Contains("line 9", error.Errors.Single());
    }

    [Fact]
    public void Reports_a_degrade_cycle_together_with_other_errors()
    {
        var yaml = Valid.Replace("b: { softLimit: 1, hardLimit: 2, reset: daily, overQuota: block }",
            "b: { softLimit: 1, hardLimit: 2, reset: daily, overQuota: degrade, fallbackClass: a }\n    ")
            .Replace("tiers: [free]", "tiers: [free, pro]");
        var error = Assert.Throws<QuotaMatrixException>(() => QuotaMatrixParser.Parse(yaml));
        Assert.Contains(error.Errors, e => e.Contains("tier 'pro'") && e.Contains("no row"));
        Assert.Contains(error.Errors, e => e.Contains("tier 'free', class 'a', field 'fallbackClass'") && e.Contains("loops"));
    }

    [Fact]
    public void Names_an_unknown_field_without_internal_type_names()
    {
        var error = Assert.Throws<QuotaMatrixException>(() => QuotaMatrixParser.Parse(Valid.Replace("overQuota: block", "overQuota: block, colour: red")));
        var message = error.Errors.Single();
        Assert.Contains("unknown field 'colour'", message);
        Assert.Contains("line 9", message);
        Assert.DoesNotContain("CellFile", message);
    }

    [Fact]
    public void Refuses_to_decide_a_quantity_that_would_overflow()
    {
        var cell = new QuotaCell(7, 10, ResetCadence.Daily, OverQuotaAction.Warn, null);
        Assert.Throws<OverflowException>(() => QuotaRules.Decide(cell, 5, long.MaxValue));
    }
}
