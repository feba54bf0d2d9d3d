using TenantQuota.Domain.Matrix;
using TenantQuota.Domain.Prices;

namespace TenantQuota.Domain.Tests;

/// <summary>The matrix's per-tier model lists, checked against the price table at start.</summary>
public sealed class ModelListsTests
{
    private const string Matrix = """
        version: "1"
        tiers: [free, pro]
        operationClasses:
          - { name: a, unit: request }
        matrix:
          free: { a: { softLimit: 1, hardLimit: 2, reset: daily, overQuota: block } }
          pro:  { a: { softLimit: 1, hardLimit: 2, reset: daily, overQuota: block } }
        """;

    private static readonly PriceTable Prices = PriceTable.Parse("""
        version: "1"
        models:
          small: [{ from: 2026-01-01, input: 0.1, output: 0.2 }]
        """);

    [Fact]
    public void A_listed_tier_calls_only_its_models_and_an_unlisted_tier_any()
    {
        var matrix = QuotaMatrixParser.Parse(Matrix + "\nmodels:\n  free: [small]\n");

        Assert.Equal(["small"], matrix.ModelsOf("free"));
        Assert.Null(matrix.ModelsOf("pro"));
        Assert.Same(Prices, Prices.CheckedAgainst(matrix));
    }

    [Theory]
    [InlineData("models:\n  gold: [small]", "tier 'gold', field 'models': not listed in 'tiers'")]
    [InlineData("models:\n  free: []", "tier 'free', field 'models': a list of model names")]
    public void A_bad_model_list_stops_the_start_naming_tier_and_field(string models, string expected)
    {
        var error = Assert.Throws<QuotaMatrixException>(() => QuotaMatrixParser.Parse(Matrix + "\n" + models + "\n"));

        Assert.Contains(expected, error.Errors.Single());
    }

    [Fact]
    public void A_model_without_a_price_stops_the_start()
    {
        var matrix = QuotaMatrixParser.Parse(Matrix + "\nmodels:\n  pro: [small, large]\n");

        var error = Assert.Throws<QuotaMatrixException>(() => Prices.CheckedAgainst(matrix));

        Assert.Equal("tier 'pro', field 'models': 'large' is not a model of the price table", error.Errors.Single());
    }
}
