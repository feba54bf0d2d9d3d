using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Stripe;
using Stripe.Billing;
using TenantQuota.Domain.Matrix;

namespace TenantQuota.Billing.Catalog;

public sealed record CatalogTier(string Tier, string ProductId, string PriceId, long UnitAmount);

public sealed record CatalogOverage(string OperationClass, string ProductId, string MeterId, string EventName, string PriceId, long UnitAmount);

/// <summary>What the catalogue is after a sync, and what the sync had to change in Stripe to get there (nothing, the second time).</summary>
public sealed record CatalogSyncResult(
    string MatrixVersion, string Currency, IReadOnlyList<CatalogTier> Tiers, IReadOnlyList<CatalogOverage> Overage, IReadOnlyList<string> Changes);

/// <summary>
/// Makes Stripe's catalogue match the quota matrix and Billing__* prices, idempotently: per tier sold,
/// a product and a recurring monthly price (lookup_key tq_tier_{tier}); per operation class with
/// overage in any tier, a billing meter (event_name tq_overage_{class}, sum, customer by
/// stripe_customer_id), a product and a metered monthly price on that meter (lookup_key
/// tq_overage_{class}). Each object is looked up first (the id stored in stripe_catalog, then
/// Stripe's own lists by lookup_key, event_name or our metadata), and only created or updated when
/// it is missing or differs, so a second run sends Stripe no POST at all. Prices cannot change in
/// Stripe: a new amount is a new price that takes over the lookup_key, and the old one is archived
/// (subscriptions on it keep it). Runs one at a time across processes (an advisory lock). Called by
/// POST /v1/billing/catalog/sync, and meant for a CLI verb as well.
/// </summary>
public sealed class CatalogSync(
    IStripeClient stripe, NpgsqlDataSource db, QuotaMatrix matrix, IOptions<BillingSettings> settings, TimeProvider clock, ILogger<CatalogSync> logger)
{
    private const int LockClass = 74520; // pg_advisory_lock(74520, 0): one sync at a time
    public const string MetadataKey = "tq_catalog_key";

    public static string TierLookupKey(string tier) => $"tq_tier_{tier}";

    public static string MeterEventName(string operationClass) => $"tq_overage_{operationClass}";

    /// <summary>The operation classes that bill overage in at least one tier, in matrix order.</summary>
    public static IReadOnlyList<OperationClass> OverageClasses(QuotaMatrix matrix) =>
        matrix.OperationClasses.Where(c => matrix.Tiers.Any(t => matrix.Cell(t, c.Name).OverQuota == OverQuotaAction.Overage)).ToList();

    public async Task<CatalogSyncResult> RunAsync(CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await using (var take = new NpgsqlCommand($"SELECT pg_advisory_lock({LockClass}, 0)", connection))
            await take.ExecuteNonQueryAsync(cancellationToken);
        try
        {
            return await SyncAsync(cancellationToken);
        }
        finally
        {
            await using var release = new NpgsqlCommand($"SELECT pg_advisory_unlock({LockClass}, 0)", connection);
            await release.ExecuteNonQueryAsync(CancellationToken.None);
        }
    }

    private async Task<CatalogSyncResult> SyncAsync(CancellationToken cancellationToken)
    {
        var billing = settings.Value;
        var currency = billing.Currency;
        var stored = await StripeCatalog.ReadAsync(db, cancellationToken);
        var run = new Run(stripe, stored, matrix.Version, currency, logger);

        var tiers = new List<CatalogTier>();
        foreach (var tier in matrix.Tiers.Skip(1))
        {
            if (billing.PriceOf(tier) is not { } cents) continue;
            var product = await run.EnsureProductAsync(tier, $"TenantQuota {Title(tier)}", Describe(tier), cancellationToken);
            var price = await run.EnsurePriceAsync(StripeCatalog.Price, tier, TierLookupKey(tier), product.Id, cents, meterId: null, cancellationToken);
            tiers.Add(new CatalogTier(tier, product.Id, price.Id, cents));
        }

        var overage = new List<CatalogOverage>();
        foreach (var operationClass in OverageClasses(matrix))
        {
            var eventName = MeterEventName(operationClass.Name);
            var meter = await run.EnsureMeterAsync(operationClass.Name, eventName, $"TenantQuota overage: {operationClass.DisplayName}", cancellationToken);
            var product = await run.EnsureProductAsync(StripeCatalog.OverageProductKey(operationClass.Name), $"TenantQuota overage: {operationClass.DisplayName}",
                $"{operationClass.DisplayName} past the hard limit of the plan, per {operationClass.Unit}.", cancellationToken);
            var cents = billing.OveragePriceOf(operationClass.Name);
            var price = await run.EnsurePriceAsync(StripeCatalog.MeteredPrice, operationClass.Name, eventName, product.Id, cents, meter.Id, cancellationToken);
            overage.Add(new CatalogOverage(operationClass.Name, product.Id, meter.Id, eventName, price.Id, cents));
        }

        var entries = tiers.SelectMany(t => new[]
            {
                new CatalogEntry(StripeCatalog.Product, t.Tier, t.ProductId, null),
                new CatalogEntry(StripeCatalog.Price, t.Tier, t.PriceId, null),
            })
            .Concat(overage.SelectMany(o => new[]
            {
                new CatalogEntry(StripeCatalog.Product, StripeCatalog.OverageProductKey(o.OperationClass), o.ProductId, null),
                new CatalogEntry(StripeCatalog.Meter, o.OperationClass, o.MeterId, o.EventName),
                new CatalogEntry(StripeCatalog.MeteredPrice, o.OperationClass, o.PriceId, null),
            }));
        await StripeCatalog.SaveAsync(db, entries, clock.GetUtcNow(), cancellationToken);
        if (run.Changes.Count > 0) logger.LogInformation("Stripe catalogue synced for matrix {MatrixVersion}: {Changes}", matrix.Version, string.Join("; ", run.Changes));
        return new CatalogSyncResult(matrix.Version, currency, tiers, overage, run.Changes);
    }

    private static string Title(string tier) => tier.Length == 0 ? tier : char.ToUpperInvariant(tier[0]) + tier[1..];

    /// <summary>What the tier allows, from the matrix; it changes (and the product is updated) with the matrix.</summary>
    private string Describe(string tier) =>
        string.Join("; ", matrix.OperationClasses.Select(c =>
        {
            var cell = matrix.Cell(tier, c.Name);
            return string.Create(CultureInfo.InvariantCulture, $"{c.DisplayName}: {cell.HardLimit} {c.Unit}s {cell.ResetName}{(cell.OverQuota == OverQuotaAction.Overage ? ", then overage" : "")}");
        }));

    /// <summary>One sync's Stripe calls and what they changed.</summary>
    private sealed class Run(IStripeClient stripe, StripeCatalog stored, string matrixVersion, string currency, ILogger logger)
    {
        private readonly ProductService _products = new(stripe);
        private readonly PriceService _prices = new(stripe);
        private readonly MeterService _meters = new(stripe);
        private List<Product>? _allProducts;
        private List<Meter>? _allMeters;

        public List<string> Changes { get; } = [];

        public async Task<Product> EnsureProductAsync(string key, string name, string description, CancellationToken cancellationToken)
        {
            var metadata = new Dictionary<string, string> { [MetadataKey] = key, ["tq_matrix_version"] = matrixVersion };
            var product = await GetOrNullAsync(stored.Find(StripeCatalog.Product, key)?.StripeId, id => _products.GetAsync(id, cancellationToken: cancellationToken));
            if (product is null || product.Metadata?.GetValueOrDefault(MetadataKey) != key)
            {
                _allProducts ??= await ToListAsync(_products.ListAutoPagingAsync(new ProductListOptions { Limit = 100 }, cancellationToken: cancellationToken), cancellationToken);
                product = _allProducts.FirstOrDefault(p => p.Metadata?.GetValueOrDefault(MetadataKey) == key && p.Active)
                          ?? _allProducts.FirstOrDefault(p => p.Metadata?.GetValueOrDefault(MetadataKey) == key);
            }
            if (product is null)
            {
                product = await _products.CreateAsync(new ProductCreateOptions { Name = name, Description = description, Metadata = metadata },
                    IdempotencyKeys.CreateProduct(key, matrixVersion), cancellationToken);
                Changes.Add($"created product {product.Id} ({key})");
                return product;
            }
            if (product.Active && product.Name == name && product.Description == description && product.Metadata?.GetValueOrDefault("tq_matrix_version") == matrixVersion)
                return product;
            product = await _products.UpdateAsync(product.Id, new ProductUpdateOptions { Active = true, Name = name, Description = description, Metadata = metadata },
                IdempotencyKeys.UpdateProduct(product.Id, name, description, matrixVersion), cancellationToken);
            Changes.Add($"updated product {product.Id} ({key})");
            return product;
        }

        public async Task<Price> EnsurePriceAsync(string kind, string key, string lookupKey, string productId, long unitAmount, string? meterId, CancellationToken cancellationToken)
        {
            bool Fits(Price p) => p.Active && p.LookupKey == lookupKey && p.Currency == currency && p.UnitAmount == unitAmount && p.ProductId == productId
                                  && p.Recurring is { Interval: "month", IntervalCount: 0 or 1 } recurring
                                  && (meterId is null
                                      ? recurring.UsageType is null or "licensed"
                                      : recurring.UsageType == "metered" && recurring.Meter == meterId);

            var previous = await GetOrNullAsync(stored.Find(kind, key)?.StripeId, id => _prices.GetAsync(id, cancellationToken: cancellationToken));
            if (previous is not null && Fits(previous)) return previous;
            var byLookupKey = await _prices.ListAsync(new PriceListOptions { LookupKeys = [lookupKey], Active = true, Limit = 10 }, cancellationToken: cancellationToken);
            if (byLookupKey.Data.FirstOrDefault(Fits) is { } found) return found;

            var replaced = byLookupKey.Data.FirstOrDefault(p => p.LookupKey == lookupKey) ?? previous;
            var created = await _prices.CreateAsync(new PriceCreateOptions
            {
                Product = productId,
                Currency = currency,
                UnitAmount = unitAmount,
                LookupKey = lookupKey,
                TransferLookupKey = true,
                Recurring = new PriceRecurringOptions { Interval = "month", IntervalCount = 1, UsageType = meterId is null ? "licensed" : "metered", Meter = meterId },
                Metadata = new Dictionary<string, string> { [MetadataKey] = $"{kind}:{key}" },
            }, IdempotencyKeys.CreatePrice(key, currency, unitAmount, meterId, replaced?.Id), cancellationToken);
            if (!Fits(created))
                throw new InvalidOperationException($"Stripe answered the creation of price {lookupKey} ({unitAmount} {currency}) with price {created.Id}, " +
                    "which does not match it: an idempotency key was reused for another price. Nothing was stored; fix the price in Stripe and sync again.");
            Changes.Add($"created price {created.Id} ({lookupKey}, {unitAmount} {currency})");
            foreach (var old in new[] { previous }.Concat(byLookupKey.Data).OfType<Price>().Where(p => p.Active && p.Id != created.Id).DistinctBy(p => p.Id))
            {
                // Housekeeping: the new price already took the lookup key, so a failure here changes nothing we rely on.
                try
                {
                    await _prices.UpdateAsync(old.Id, new PriceUpdateOptions { Active = false }, IdempotencyKeys.ArchivePrice(old.Id), cancellationToken);
                    Changes.Add($"archived price {old.Id} ({lookupKey}), replaced by {created.Id}");
                }
                catch (StripeException e)
                {
                    StripeFailures.Log(logger, e, $"archive price {old.Id}");
                    Changes.Add($"could not archive price {old.Id} ({lookupKey}), replaced by {created.Id}: archive it in Stripe");
                }
            }
            return created;
        }

        public async Task<Meter> EnsureMeterAsync(string operationClass, string eventName, string displayName, CancellationToken cancellationToken)
        {
            var meter = await GetOrNullAsync(stored.Find(StripeCatalog.Meter, operationClass)?.StripeId, id => _meters.GetAsync(id, cancellationToken: cancellationToken));
            if (meter is null || meter.EventName != eventName)
            {
                // Meters are never deleted and their event_name is unique in the account, inactive ones included.
                _allMeters ??= await ToListAsync(_meters.ListAutoPagingAsync(new MeterListOptions { Limit = 100 }, cancellationToken: cancellationToken), cancellationToken);
                meter = _allMeters.FirstOrDefault(m => m.EventName == eventName);
            }
            if (meter is null)
            {
                meter = await _meters.CreateAsync(new MeterCreateOptions
                {
                    DisplayName = displayName,
                    EventName = eventName,
                    DefaultAggregation = new MeterDefaultAggregationOptions { Formula = "sum" },
                    CustomerMapping = new MeterCustomerMappingOptions { Type = "by_id", EventPayloadKey = "stripe_customer_id" },
                    ValueSettings = new MeterValueSettingsOptions { EventPayloadKey = "value" },
                }, IdempotencyKeys.CreateMeter(eventName), cancellationToken);
                Changes.Add($"created meter {meter.Id} ({eventName})");
                return meter;
            }
            var formula = meter.DefaultAggregation?.Formula;
            var customerKey = meter.CustomerMapping?.EventPayloadKey;
            if (formula is not null && formula != "sum" || customerKey is not null && customerKey != "stripe_customer_id")
                logger.LogWarning("Stripe meter {MeterId} ({EventName}) aggregates with {Formula} by {CustomerKey}; TenantQuota sends sum by stripe_customer_id. " +
                                  "A meter cannot change these after creation: replace it in Stripe (its event_name must stay free for ours).", meter.Id, eventName, formula, customerKey);
            if (meter.Status == "inactive")
            {
                meter = await _meters.ReactivateAsync(meter.Id, new MeterReactivateOptions(), IdempotencyKeys.ReactivateMeter(meter.Id), cancellationToken);
                Changes.Add($"reactivated meter {meter.Id} ({eventName})");
            }
            if (meter.DisplayName != displayName)
            {
                meter = await _meters.UpdateAsync(meter.Id, new MeterUpdateOptions { DisplayName = displayName }, IdempotencyKeys.UpdateMeter(meter.Id, displayName), cancellationToken);
                Changes.Add($"updated meter {meter.Id} ({eventName})");
            }
            return meter;
        }

        /// <summary>A stored id Stripe no longer knows (404) is as good as none.</summary>
        private static async Task<T?> GetOrNullAsync<T>(string? id, Func<string, Task<T>> get) where T : class
        {
            if (id is null) return null;
            try
            {
                return await get(id);
            }
            catch (StripeException e) when (e.HttpStatusCode == System.Net.HttpStatusCode.NotFound)
            {
                return null;
            }
        }

        private static async Task<List<T>> ToListAsync<T>(IAsyncEnumerable<T> items, CancellationToken cancellationToken)
        {
            var list = new List<T>();
            await foreach (var item in items.WithCancellation(cancellationToken)) list.Add(item);
            return list;
        }
    }
}
