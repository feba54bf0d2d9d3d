using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using TenantQuota.Domain.Matrix;

namespace TenantQuota.Billing;

/// <summary>
/// Billing__*: what we sell and for how much. Prices are whole cents of <see cref="Currency"/> and
/// live here, not in the quota matrix: the matrix says what a tier allows, billing says what it costs.
/// Checked at start when billing is enabled (Stripe__SecretKey set), against the matrix.
/// </summary>
public sealed partial class BillingSettings
{
    /// <summary>ISO 4217, lower case, as Stripe spells it.</summary>
    public string Currency { get; set; } = "usd";

    /// <summary>
    /// The monthly price of each tier sold through Checkout (Billing__Prices__pro=2000). The first tier
    /// of the matrix is the free tier and has no price; a tier with price 0 is not sold through
    /// Checkout (a sales deal, set by the platform operator).
    /// </summary>
    public Dictionary<string, long> Prices { get; set; } = new(StringComparer.Ordinal)
    {
        ["pro"] = 2000,
        ["team"] = 9900,
        ["enterprise"] = 49900,
    };

    /// <summary>Price per unit over the hard limit for an operation class with overage (Billing__OveragePrices__deep_research=25).</summary>
    public Dictionary<string, long> OveragePrices { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Price per unit for overage classes not named in <see cref="OveragePrices"/>.</summary>
    public long DefaultOveragePrice { get; set; } = 1;

    /// <summary>How long a past-due subscription keeps its tier before the tenant drops to the free tier.</summary>
    public TimeSpan GracePeriod { get; set; } = TimeSpan.FromDays(7);

    /// <summary>The tier price in cents, or null when the tier is not sold through Checkout.</summary>
    public long? PriceOf(string tier) => Prices.TryGetValue(tier, out var cents) && cents > 0 ? cents : null;

    public long OveragePriceOf(string operationClass) =>
        OveragePrices.TryGetValue(operationClass, out var cents) ? cents : DefaultOveragePrice;

    [GeneratedRegex("^[a-z]{3}$")]
    private static partial Regex CurrencyPattern();

    /// <summary>Every problem with the settings, each naming its setting; empty when they are fine.</summary>
    public List<string> Problems(QuotaMatrix? matrix)
    {
        var problems = new List<string>();
        if (!CurrencyPattern().IsMatch(Currency ?? ""))
            problems.Add($"Billing:Currency (env Billing__Currency) must be a three-letter ISO 4217 code in lower case such as 'usd'; '{Currency}' is not.");
        foreach (var (tier, cents) in Prices)
        {
            if (cents < 0)
                problems.Add($"Billing:Prices:{tier} (env Billing__Prices__{tier}) must be 0 (not sold) or a positive number of cents; it is {cents}.");
            if (matrix is null) continue;
            if (!matrix.HasTier(tier))
            {
                // Set to 0 to drop a default price of a tier a custom matrix does not have.
                if (cents > 0)
                    problems.Add($"Billing:Prices:{tier} (env Billing__Prices__{tier}) prices a tier the quota matrix does not have ({string.Join(", ", matrix.Tiers)}); set it to 0 or name a tier of the matrix.");
            }
            else if (tier == matrix.Tiers[0] && cents != 0)
                problems.Add($"Billing:Prices:{tier} (env Billing__Prices__{tier}): '{tier}' is the matrix's first tier, the free one, and cannot have a price.");
        }
        if (DefaultOveragePrice <= 0)
            problems.Add($"Billing:DefaultOveragePrice (env Billing__DefaultOveragePrice) must be a positive number of cents per unit; it is {DefaultOveragePrice}.");
        foreach (var (operationClass, cents) in OveragePrices)
        {
            if (cents <= 0)
                problems.Add($"Billing:OveragePrices:{operationClass} (env Billing__OveragePrices__{operationClass}) must be a positive number of cents per unit; it is {cents}.");
            if (matrix is not null && !matrix.TryGetClass(operationClass, out _))
                problems.Add($"Billing:OveragePrices:{operationClass} (env Billing__OveragePrices__{operationClass}) names an operation class the quota matrix does not have.");
        }
        if (GracePeriod < TimeSpan.Zero || GracePeriod > TimeSpan.FromDays(60))
            problems.Add($"Billing:GracePeriod (env Billing__GracePeriod) must be between 0 and 60 days (e.g. 7.00:00:00); it is {GracePeriod.ToString("c", CultureInfo.InvariantCulture)}.");
        return problems;
    }

    /// <summary>Validates only when billing is enabled, so a host without Stripe starts with any Billing__* values.</summary>
    internal sealed class Validator(IServiceProvider services, IOptions<StripeSettings> stripe) : IValidateOptions<BillingSettings>
    {
        public ValidateOptionsResult Validate(string? name, BillingSettings options)
        {
            if (!stripe.Value.Enabled) return ValidateOptionsResult.Skip;
            var problems = options.Problems(services.GetService<QuotaMatrix>());
            return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
        }
    }
}
