using NodaTime;
using TenantQuota.Domain.Prices;

namespace TenantQuota.Domain.Tests;

/// <summary>What a model call costs, in whole micro-dollars, from a price table with dated prices.</summary>
public class PriceTableTests
{
    private const string Table = """
        version: "2026-11-01"
        models:
          gpt-small:
            - { from: 2026-01-01, input: 0.15, output: 0.60 }
          gpt-large:
            - { from: 2026-01-01, input: 2.50, output: 10.00 }
            - { from: 2026-12-01, input: 2.00, output: 8.00 }
        """;

    private static readonly PriceTable Prices = PriceTable.Parse(Table);

    private static Instant At(string utc) => NodaTime.Text.InstantPattern.ExtendedIso.Parse(utc).Value;

    [Theory]
    // (1200 × 2.50 + 300 × 10.00) / 1M = 0.006 $ = 6000 µ$
    [InlineData("gpt-large", 1200, 300, "2026-11-30T23:59:59Z", 6000)]
    // from December 1st (UTC): (1200 × 2.00 + 300 × 8.00) / 1M = 0.0048 $
    [InlineData("gpt-large", 1200, 300, "2026-12-01T00:00:00Z", 4800)]
    // exact at scale: a million input tokens of gpt-small are 0.15 $, not a micro-dollar more
    [InlineData("gpt-small", 1_000_000, 0, "2026-06-01T00:00:00Z", 150_000)]
    // rounded up once per call: 1 input token is 0.15 µ$, charged 1; 7 output tokens are 4.2 µ$, charged 5
    [InlineData("gpt-small", 1, 0, "2026-06-01T00:00:00Z", 1)]
    [InlineData("gpt-small", 0, 7, "2026-06-01T00:00:00Z", 5)]
    [InlineData("gpt-small", 0, 0, "2026-06-01T00:00:00Z", 0)]
    // large calls stay exact: 2 billion tokens each way at 10 $ per million is 20,000 $ + 5,000 $
    [InlineData("gpt-large", 2_000_000_000, 2_000_000_000, "2026-06-01T00:00:00Z", 25_000_000_000)]
    public void Charges_the_exact_cost_of_the_day_rounded_up_once_to_the_micro_dollar(string model, long input, long output, string at, long micros) =>
        Assert.Equal(micros, Prices.CostMicroUsd(model, input, output, At(at)));

    [Fact]
    public void A_call_before_a_models_first_price_has_no_cost_and_unknown_models_are_told_apart()
    {
        Assert.Null(Prices.CostMicroUsd("gpt-large", 10, 10, At("2025-12-31T23:59:59Z")));
        Assert.True(Prices.Knows("gpt-small"));
        Assert.False(Prices.Knows("gpt-huge"));
        Assert.False(Prices.Knows(null));
    }

    [Theory]
    [InlineData("- { from: 2026-01-01, input: -1, output: 1 }", "model 'm', price 1, field 'input'")]
    [InlineData("- { from: 2026-01-01, input: 0.1234567, output: 1 }", "model 'm', price 1, field 'input'")]
    [InlineData("- { from: 2026-01-01, input: 1, output: lots }", "model 'm', price 1, field 'output'")]
    [InlineData("- { from: 01/02/2026, input: 1, output: 1 }", "model 'm', price 1, field 'from'")]
    [InlineData("- { from: 2026-02-01, input: 1, output: 1 }\n    - { from: 2026-01-01, input: 1, output: 1 }", "model 'm', price 2, field 'from': dates must increase")]
    public void A_bad_price_names_the_model_entry_and_field(string entries, string named)
    {
        var error = Assert.Throws<PriceTableException>(() => PriceTable.Parse($"version: \"1\"\nmodels:\n  m:\n    {entries}\n"));
        Assert.Contains(error.Errors, e => e.StartsWith(named, StringComparison.Ordinal));
    }

    [Fact]
    public void A_file_without_version_or_models_or_with_a_bad_model_name_lists_every_problem()
    {
        var error = Assert.Throws<PriceTableException>(() => PriceTable.Parse("models:\n  GPT 4:\n    - { from: 2026-01-01, input: 1, output: 1 }\n"));
        Assert.Equal(["field 'version': required (for example \"2026-11-01\")", "model 'GPT 4': a model name is lower case letters, digits, '.', '_' and '-'"], error.Errors);
    }

    [Fact]
    public void The_products_price_table_parses()
    {
        var table = PriceTable.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "config", "prices.yaml")));
        Assert.Contains("gpt-large", table.Models);
    }
}
