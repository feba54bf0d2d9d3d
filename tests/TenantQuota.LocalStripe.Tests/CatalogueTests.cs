using Stripe;
using TenantQuota.LocalStripe.Tests.Support;

namespace TenantQuota.LocalStripe.Tests;

/// <summary>Products, prices and meters: what the catalogue sync creates and looks up.</summary>
public sealed class CatalogueTests
{
    [Fact]
    public async Task Creates_a_meter_and_licensed_and_metered_prices_on_it()
    {
        await using var server = await LocalStripeHost.StartAsync();
        var client = Clients.Stripe(server);

        var meter = await Catalogue.MeterAsync(client);
        var (product, basePrice, overage) = await Catalogue.ProPlanAsync(client, meter);

        Assert.StartsWith("mtr_", meter.Id);
        Assert.Equal(("api_requests", "sum", "active"), (meter.EventName, meter.DefaultAggregation.Formula, meter.Status));
        Assert.StartsWith("prod_", product.Id);
        Assert.Equal(("pro", "Pro"), (product.Metadata["plan"], product.Name));
        Assert.StartsWith("price_", basePrice.Id);
        Assert.Equal((4900L, "usd", "month", "licensed", "recurring"),
            (basePrice.UnitAmount!.Value, basePrice.Currency, basePrice.Recurring.Interval, basePrice.Recurring.UsageType, basePrice.Type));
        Assert.Equal(("metered", meter.Id, 0.5m, (long?)null),
            (overage.Recurring.UsageType, overage.Recurring.Meter, overage.UnitAmountDecimal, overage.UnitAmount));
    }

    [Fact]
    public async Task Finds_prices_by_lookup_key_and_by_product()
    {
        await using var server = await LocalStripeHost.StartAsync();
        var client = Clients.Stripe(server);
        var (product, basePrice, overage) = await Catalogue.ProPlanAsync(client, await Catalogue.MeterAsync(client));
        await new PriceService(client).CreateAsync(new PriceCreateOptions { ProductData = new PriceProductDataOptions { Name = "Other" }, Currency = "usd", UnitAmount = 100 });
        var prices = new PriceService(client);

        var byKey = await prices.ListAsync(new PriceListOptions { LookupKeys = [basePrice.LookupKey] });
        var byProduct = await prices.ListAsync(new PriceListOptions { Product = product.Id, Active = true });

        Assert.Equal([basePrice.Id], byKey.Data.Select(p => p.Id));
        Assert.Equal([overage.Id, basePrice.Id], byProduct.Data.Select(p => p.Id));
    }

    [Fact]
    public async Task A_lookup_key_in_use_is_refused_unless_transferred()
    {
        await using var server = await LocalStripeHost.StartAsync();
        var client = Clients.Stripe(server);
        var (product, basePrice, _) = await Catalogue.ProPlanAsync(client, await Catalogue.MeterAsync(client));
        var prices = new PriceService(client);
        var again = new PriceCreateOptions { Product = product.Id, Currency = "usd", UnitAmount = 5900, LookupKey = basePrice.LookupKey, Recurring = new() { Interval = "month" } };

        var refused = await Assert.ThrowsAsync<StripeException>(() => prices.CreateAsync(again));
        again.TransferLookupKey = true;
        var moved = await prices.CreateAsync(again);

        Assert.Equal(("invalid_request_error", "lookup_key"), (refused.StripeError.Type, refused.StripeError.Param));
        Assert.Equal(basePrice.LookupKey, moved.LookupKey);
        Assert.Null((await prices.GetAsync(basePrice.Id)).LookupKey);
    }

    [Fact]
    public async Task A_metered_price_needs_a_meter_that_exists()
    {
        await using var server = await LocalStripeHost.StartAsync();
        var client = Clients.Stripe(server);
        var product = await new ProductService(client).CreateAsync(new ProductCreateOptions { Name = "Pro" });
        var prices = new PriceService(client);

        var noMeter = await Assert.ThrowsAsync<StripeException>(() => prices.CreateAsync(new PriceCreateOptions
        {
            Product = product.Id, Currency = "usd", UnitAmount = 1, Recurring = new() { Interval = "month", UsageType = "metered" },
        }));
        var unknownMeter = await Assert.ThrowsAsync<StripeException>(() => prices.CreateAsync(new PriceCreateOptions
        {
            Product = product.Id, Currency = "usd", UnitAmount = 1, Recurring = new() { Interval = "month", UsageType = "metered", Meter = "mtr_nope" },
        }));

        Assert.Equal("recurring[meter]", noMeter.StripeError.Param);
        Assert.Equal(("recurring[meter]", "resource_missing"), (unknownMeter.StripeError.Param, unknownMeter.StripeError.Code));
    }

    [Fact]
    public async Task Lists_meters_and_renames_one()
    {
        await using var server = await LocalStripeHost.StartAsync();
        var client = Clients.Stripe(server);
        var meters = new Stripe.Billing.MeterService(client);
        var first = await Catalogue.MeterAsync(client, "first");
        var second = await Catalogue.MeterAsync(client, "second");

        var renamed = await meters.UpdateAsync(first.Id, new Stripe.Billing.MeterUpdateOptions { DisplayName = "Renamed" });
        var listed = await meters.ListAsync(new Stripe.Billing.MeterListOptions { Status = "active" });

        Assert.Equal("Renamed", renamed.DisplayName);
        Assert.Equal([second.Id, first.Id], listed.Data.Select(m => m.Id));
    }

    [Fact]
    public async Task Two_active_meters_cannot_share_an_event_name()
    {
        await using var server = await LocalStripeHost.StartAsync();
        var client = Clients.Stripe(server);
        await Catalogue.MeterAsync(client, "api_requests");

        var error = await Assert.ThrowsAsync<StripeException>(() => Catalogue.MeterAsync(client, "api_requests"));

        Assert.Equal("event_name", error.StripeError.Param);
    }

    [Fact]
    public async Task An_archived_price_keeps_its_lookup_key_but_leaves_active_lookups()
    {
        await using var server = await LocalStripeHost.StartAsync();
        var client = Clients.Stripe(server);
        var (_, basePrice, _) = await Catalogue.ProPlanAsync(client, await Catalogue.MeterAsync(client));
        var prices = new PriceService(client);

        var archived = await prices.UpdateAsync(basePrice.Id, new PriceUpdateOptions { Active = false });
        var active = await prices.ListAsync(new PriceListOptions { LookupKeys = [basePrice.LookupKey], Active = true });
        var any = await prices.ListAsync(new PriceListOptions { LookupKeys = [basePrice.LookupKey] });

        Assert.Equal((false, basePrice.LookupKey, 4900L), (archived.Active, archived.LookupKey, archived.UnitAmount!.Value));
        Assert.Empty(active.Data);
        Assert.Equal([basePrice.Id], any.Data.Select(p => p.Id));
    }

    [Fact]
    public async Task A_deactivated_meter_takes_no_events_until_reactivated_and_keeps_its_event_name()
    {
        await using var server = await LocalStripeHost.StartAsync();
        var client = Clients.Stripe(server);
        var meters = new Stripe.Billing.MeterService(client);
        var meter = await Catalogue.MeterAsync(client);
        var customer = await Catalogue.CustomerAsync(client);
        var events = new Stripe.Billing.MeterEventService(client);
        var usage = new Stripe.Billing.MeterEventCreateOptions { EventName = meter.EventName, Payload = new() { ["stripe_customer_id"] = customer.Id, ["value"] = "1" } };

        var inactive = await meters.DeactivateAsync(meter.Id);
        var refused = await Assert.ThrowsAsync<StripeException>(() => events.CreateAsync(usage));
        var taken = await Assert.ThrowsAsync<StripeException>(() => Catalogue.MeterAsync(client, meter.EventName));
        var active = await meters.ReactivateAsync(meter.Id);
        await events.CreateAsync(usage);

        Assert.Equal(("inactive", "active"), (inactive.Status, active.Status));
        Assert.NotNull(inactive.StatusTransitions.DeactivatedAt);
        Assert.Equal("event_name", refused.StripeError.Param);
        Assert.Equal("event_name", taken.StripeError.Param);
    }
}
