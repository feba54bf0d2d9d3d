using System.Globalization;
using System.Text.Json.Nodes;
using TenantQuota.LocalStripe.Wire;

namespace TenantQuota.LocalStripe.Resources;

/// <summary>
/// POST/GET /v1/prices, GET/POST /v1/prices/{price}: per-unit prices, one-time or recurring (licensed or
/// metered on a meter). An update changes active, nickname, metadata and lookup_key (transfer_lookup_key
/// takes it over); amounts never change, which is why the catalogue sync archives a superseded price.
/// </summary>
internal static class Prices
{
    public static void Map(IEndpointRouteBuilder app)
    {
        StripePipeline.Map(app, "POST", "/v1/prices", Create);
        StripePipeline.Map(app, "GET", "/v1/prices", List);
        StripePipeline.Map(app, "GET", "/v1/prices/{price}", Get);
        StripePipeline.Map(app, "POST", "/v1/prices/{price}", Update);
    }

    private static StripeReply Create(StripeCall call)
    {
        var form = call.Params;
        Modeled.Only(call, "active", "billing_scheme", "currency", "lookup_key", "metadata", "nickname", "product", "product_data",
            "recurring", "tax_behavior", "transfer_lookup_key", "unit_amount", "unit_amount_decimal");
        if (form.Text("billing_scheme") is "tiered") throw StripeError.NotImplemented("tiered prices", "billing_scheme");

        // Every check first: nothing is stored unless the whole request is valid.
        var productId = form.Text("product");
        var productData = form.Map("product_data");
        if ((productId is null) == (productData is null))
            throw StripeError.InvalidRequest("Give exactly one of product and product_data.", productId is null ? "product" : "product_data");
        if (productId is not null && call.Store.Find("product", productId) is null) throw StripeError.NoSuch("product", productId, "product");
        if (productData is not null && productData.Text("name") is null) throw StripeError.InvalidRequest("Missing required param: product_data[name].", "product_data[name]");

        var amount = UnitAmount(form);
        var recurring = Recurring(call, form.Map("recurring"));
        var lookupKey = form.Text("lookup_key");
        var holder = LookupKeyHolder(call, lookupKey, except: null);

        if (productData is not null)
        {
            var product = Products.New(call, Ids.New("prod", 14), productData.Text("name")!);
            Objects.ApplyMetadata(product, productData["metadata"], "product_data[metadata]");
            productId = (string)call.Store.Add(product)["id"]!;
        }
        if (holder is not null) holder["lookup_key"] = null;

        var price = Fixtures.Template("price");
        price["id"] = Ids.New("price");
        price["active"] = form.Bool("active") ?? true;
        price["billing_scheme"] = "per_unit";
        price["created"] = call.Unix;
        price["currency"] = form.String("currency")!.ToLowerInvariant();
        price["custom_unit_amount"] = null;
        price["livemode"] = false;
        price["lookup_key"] = lookupKey;
        price["metadata"] = new JsonObject();
        Objects.ApplyMetadata(price, form["metadata"]);
        price["nickname"] = form.Text("nickname");
        price["product"] = productId;
        price["recurring"] = recurring;
        price["tax_behavior"] = form.Text("tax_behavior") ?? "unspecified";
        price["tiers_mode"] = null;
        price["transform_quantity"] = null;
        price["type"] = recurring is null ? "one_time" : "recurring";
        price["unit_amount"] = decimal.IsInteger(amount) ? (long)amount : (long?)null;
        price["unit_amount_decimal"] = amount.ToString(CultureInfo.InvariantCulture);
        call.Store.Add(price);
        return StripeReply.Ok(Objects.Answer(call, price));
    }

    /// <summary>The price that holds <paramref name="lookupKey"/> now; 400 unless transfer_lookup_key=true lets the caller take it.</summary>
    private static JsonObject? LookupKeyHolder(StripeCall call, string? lookupKey, string? except)
    {
        var holder = lookupKey is null ? null
            : call.Store.Newest("price").FirstOrDefault(p => (string?)p["lookup_key"] == lookupKey && (string?)p["id"] != except);
        if (holder is not null && call.Params.Bool("transfer_lookup_key") != true)
            throw StripeError.InvalidRequest($"A price ('{holder["id"]}') already uses the lookup key '{lookupKey}'. Pass transfer_lookup_key=true to move it.", "lookup_key");
        return holder;
    }

    /// <summary>
    /// POST /v1/prices/{price}: active, nickname, metadata, lookup_key (taking it from the price that holds it
    /// only with transfer_lookup_key=true). Amounts, currency and recurrence never change. Every check runs
    /// before anything changes, so a refused update leaves both prices as they were.
    /// </summary>
    private static StripeReply Update(StripeCall call)
    {
        var form = call.Params;
        var price = Find(call.Store, call.Route("price"), null);

        var metadata = new JsonObject { ["metadata"] = price["metadata"]?.DeepClone() };
        Objects.ApplyMetadata(metadata, form["metadata"]);
        var lookupKey = form.String("lookup_key");
        var holder = lookupKey is { Length: > 0 } ? LookupKeyHolder(call, lookupKey, except: (string)price["id"]!) : null;

        if (holder is not null) holder["lookup_key"] = null;
        if (lookupKey is not null) price["lookup_key"] = lookupKey.Length == 0 ? null : lookupKey;
        if (form.Bool("active") is { } active) price["active"] = active;
        Modeled.SetStrings(price, form, "nickname");
        price["metadata"] = metadata["metadata"]!.DeepClone();
        return StripeReply.Ok(Objects.Answer(call, price));
    }

    private static decimal UnitAmount(FormMap form)
    {
        if (form.Long("unit_amount") is { } cents) return cents;
        if (form.Text("unit_amount_decimal") is { } text) return decimal.Parse(text, CultureInfo.InvariantCulture);
        throw StripeError.InvalidRequest("Missing required param: unit_amount (or unit_amount_decimal).", "unit_amount");
    }

    /// <summary>recurring[interval|interval_count|usage_type|meter]: a metered price needs a meter (API 2025-03-31 and later).</summary>
    private static JsonObject? Recurring(StripeCall call, FormMap? recurring)
    {
        if (recurring is null) return null;
        if (recurring.Has("aggregate_usage")) throw StripeError.NotImplemented("recurring[aggregate_usage] (legacy usage records): use recurring[meter]", "recurring[aggregate_usage]");
        var usageType = recurring.Text("usage_type") ?? "licensed";
        var meter = recurring.Text("meter");
        if (usageType == "metered" && meter is null)
            throw StripeError.InvalidRequest("A metered price needs a meter: add recurring[meter].", "recurring[meter]");
        if (usageType != "metered" && meter is not null)
            throw StripeError.InvalidRequest("recurring[meter] is only allowed with recurring[usage_type]=metered.", "recurring[meter]");
        if (meter is not null && call.Store.Find("billing.meter", meter) is null)
            throw StripeError.NoSuch("billing meter", meter, "recurring[meter]");
        var count = recurring.Long("interval_count") ?? 1;
        if (count < 1) throw StripeError.InvalidRequest("Invalid recurring[interval_count]: must be at least 1.", "recurring[interval_count]");
        return new JsonObject
        {
            ["interval"] = recurring.String("interval"),
            ["interval_count"] = count,
            ["meter"] = meter,
            ["trial_period_days"] = recurring.Long("trial_period_days"),
            ["usage_type"] = usageType,
        };
    }

    private static StripeReply Get(StripeCall call) => StripeReply.Ok(Objects.Answer(call, Find(call.Store, call.Route("price"), null)));

    public static JsonObject Find(StripeStore store, string id, string? param) => store.Find("price", id)
        ?? throw (param is null ? StripeError.NotFound("price", id) : StripeError.NoSuch("price", id, param));

    private static StripeReply List(StripeCall call)
    {
        var form = call.Params;
        var (active, currency, product, type) = (form.Bool("active"), form.Text("currency"), form.Text("product"), form.Text("type"));
        var lookupKeys = form.Strings("lookup_keys");
        var prices = call.Store.Newest("price")
            .Where(p => active is null || (bool)p["active"]! == active)
            .Where(p => currency is null || (string)p["currency"]! == currency.ToLowerInvariant())
            .Where(p => product is null || (string)p["product"]! == product)
            .Where(p => type is null || (string)p["type"]! == type)
            .Where(p => lookupKeys.Count == 0 || lookupKeys.Contains((string?)p["lookup_key"] ?? ""));
        return StripeReply.Ok(Lists.Page(call, "/v1/prices", prices));
    }
}
