using Stripe;
using TenantQuota.LocalStripe.Tests.Support;

namespace TenantQuota.LocalStripe.Tests;

/// <summary>POST /v1/prices/{id}: what the catalogue sync does to a superseded price, through Stripe.net.</summary>
public sealed class PricesTests
{
    [Fact]
    public async Task Updates_nickname_and_metadata_and_archives_a_price_without_touching_its_amount()
    {
        await using var server = await LocalStripeHost.StartAsync();
        var client = Clients.Stripe(server);
        var (_, basePrice, _) = await Catalogue.ProPlanAsync(client, await Catalogue.MeterAsync(client));
        var prices = new PriceService(client);
        await prices.UpdateAsync(basePrice.Id, new PriceUpdateOptions { Metadata = new() { ["tq_catalog_key"] = "price:pro", ["drop"] = "me" } });

        var updated = await prices.UpdateAsync(basePrice.Id, new PriceUpdateOptions
        {
            Active = false, Nickname = "Pro (2026)", Metadata = new() { ["drop"] = "", ["replaced_by"] = "price_next" },
        });
        var read = await prices.GetAsync(basePrice.Id);

        Assert.Equal((false, "Pro (2026)", 4900L, "usd", "month"), (updated.Active, updated.Nickname, updated.UnitAmount!.Value, updated.Currency, updated.Recurring.Interval));
        Assert.Equal(new Dictionary<string, string> { ["tq_catalog_key"] = "price:pro", ["replaced_by"] = "price_next" }, read.Metadata);
        Assert.Equal((false, "Pro (2026)"), (read.Active, read.Nickname));
    }

    [Fact]
    public async Task Takes_a_lookup_key_from_the_price_holding_it_only_when_told_to_transfer_it()
    {
        await using var server = await LocalStripeHost.StartAsync();
        var client = Clients.Stripe(server);
        var (product, basePrice, _) = await Catalogue.ProPlanAsync(client, await Catalogue.MeterAsync(client));
        var prices = new PriceService(client);
        var next = await prices.CreateAsync(new PriceCreateOptions { Product = product.Id, Currency = "usd", UnitAmount = 5900, Recurring = new() { Interval = "month" } });

        var refused = await Assert.ThrowsAsync<StripeException>(() => prices.UpdateAsync(next.Id, new PriceUpdateOptions { LookupKey = basePrice.LookupKey }));
        var unchanged = await prices.GetAsync(basePrice.Id);
        var moved = await prices.UpdateAsync(next.Id, new PriceUpdateOptions { LookupKey = basePrice.LookupKey, TransferLookupKey = true });
        var byKey = await prices.ListAsync(new PriceListOptions { LookupKeys = [basePrice.LookupKey] });

        Assert.Equal((400, "invalid_request_error", "lookup_key"), ((int)refused.HttpStatusCode, refused.StripeError.Type, refused.StripeError.Param));
        Assert.Equal(basePrice.LookupKey, unchanged.LookupKey);
        Assert.Equal(basePrice.LookupKey, moved.LookupKey);
        Assert.Null((await prices.GetAsync(basePrice.Id)).LookupKey);
        Assert.Equal([next.Id], byKey.Data.Select(p => p.Id));
    }

    [Fact]
    public async Task A_refused_update_changes_neither_price()
    {
        await using var server = await LocalStripeHost.StartAsync();
        var client = Clients.Stripe(server);
        var (product, basePrice, _) = await Catalogue.ProPlanAsync(client, await Catalogue.MeterAsync(client));
        var prices = new PriceService(client);
        var next = await prices.CreateAsync(new PriceCreateOptions { Product = product.Id, Currency = "usd", UnitAmount = 5900, Recurring = new() { Interval = "month" } });

        var refused = await Assert.ThrowsAsync<StripeException>(() => prices.UpdateAsync(next.Id, new PriceUpdateOptions
        {
            LookupKey = basePrice.LookupKey, TransferLookupKey = true, Nickname = "Next", Metadata = new() { [new string('k', 41)] = "too long a key" },
        }));

        Assert.Equal(400, (int)refused.HttpStatusCode);
        Assert.Equal(basePrice.LookupKey, (await prices.GetAsync(basePrice.Id)).LookupKey);
        var after = await prices.GetAsync(next.Id);
        Assert.Equal(((string?)null, (string?)null), (after.LookupKey, after.Nickname));
    }

    [Fact]
    public async Task Refuses_to_change_what_a_price_is()
    {
        await using var server = await LocalStripeHost.StartAsync();
        var client = Clients.Stripe(server);
        var (_, basePrice, _) = await Catalogue.ProPlanAsync(client, await Catalogue.MeterAsync(client));
        var prices = new PriceService(client);
        var options = new PriceUpdateOptions();
        options.AddExtraParam("unit_amount", 100);

        var refused = await Assert.ThrowsAsync<StripeException>(() => prices.UpdateAsync(basePrice.Id, options));

        Assert.Equal("unit_amount", refused.StripeError.Param);
        Assert.Equal(4900L, (await prices.GetAsync(basePrice.Id)).UnitAmount);
    }
}
