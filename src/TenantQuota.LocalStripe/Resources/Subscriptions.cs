using System.Text.Json.Nodes;
using TenantQuota.LocalStripe.Wire;

namespace TenantQuota.LocalStripe.Resources;

/// <summary>
/// Subscriptions come from paying a checkout session. The API reads them (GET one, list), updates
/// metadata, description and cancel_at_period_end (POST, sends customer.subscription.updated) and
/// cancels them now (DELETE, sends customer.subscription.deleted). POST /v1/subscriptions is not served.
/// Periods sit on the items (current_period_start/end), as from API 2025-03-31 on.
/// </summary>
internal static class Subscriptions
{
    public static void Map(IEndpointRouteBuilder app)
    {
        StripePipeline.Map(app, "GET", "/v1/subscriptions", List);
        StripePipeline.Map(app, "GET", "/v1/subscriptions/{subscription_exposed_id}", Get);
        StripePipeline.Map(app, "POST", "/v1/subscriptions/{subscription_exposed_id}", Update);
        StripePipeline.Map(app, "DELETE", "/v1/subscriptions/{subscription_exposed_id}", Delete);
    }

    /// <summary>An active (or trialing) subscription of <paramref name="customer"/> to the prices, stored; sends customer.subscription.created.</summary>
    public static JsonObject Create(StripeCall call, string customer, IReadOnlyList<(JsonObject Price, long? Quantity)> lines,
        IReadOnlyDictionary<string, string> metadata, string? description, long? trialDays)
    {
        var id = Ids.New("sub");
        var recurring = lines[0].Price["recurring"]!;
        var start = call.Now;
        var trialEnd = trialDays is > 0 ? start.AddDays(trialDays.Value) : (DateTimeOffset?)null;
        var periodEnd = trialEnd ?? PeriodEnd(start, (string)recurring["interval"]!, (long)recurring["interval_count"]!);

        var items = lines.Select(line => Item(call, id, line.Price, line.Quantity, start, periodEnd)).ToList();
        var subscription = Fixtures.Template("subscription");
        subscription["id"] = id;
        subscription["customer"] = customer;
        subscription["status"] = trialEnd is null ? "active" : "trialing";
        subscription["created"] = call.Unix;
        subscription["start_date"] = call.Unix;
        subscription["billing_cycle_anchor"] = periodEnd.ToUnixTimeSeconds();
        subscription["billing_cycle_anchor_config"] = null;
        subscription["currency"] = lines[0].Price["currency"]!.DeepClone();
        subscription["description"] = description;
        subscription["metadata"] = Objects.ToJson(metadata);
        subscription["items"] = new JsonObject
        {
            ["object"] = "list",
            ["data"] = new JsonArray([.. items]),
            ["has_more"] = false,
            ["total_count"] = items.Count,
            ["url"] = $"/v1/subscription_items?subscription={id}",
        };
        subscription["automatic_tax"] = new JsonObject { ["enabled"] = false, ["liability"] = null, ["disabled_reason"] = null };
        subscription["billing_mode"] = new JsonObject { ["type"] = "classic", ["flexible"] = null };
        subscription["billing_schedules"] = new JsonArray();
        subscription["billing_thresholds"] = null;
        subscription["cancel_at"] = null;
        subscription["cancel_at_period_end"] = false;
        subscription["canceled_at"] = null;
        subscription["ended_at"] = null;
        subscription["default_payment_method"] = null;
        subscription["latest_invoice"] = null;
        subscription["livemode"] = false;
        subscription["managed_payments"] = null;
        subscription["next_pending_invoice_item_invoice"] = null;
        subscription["pause_collection"] = null;
        subscription["payment_settings"] = new JsonObject { ["payment_method_options"] = null, ["payment_method_types"] = null, ["save_default_payment_method"] = "off" };
        subscription["pending_invoice_item_interval"] = null;
        subscription["pending_update"] = null;
        subscription["transfer_data"] = null;
        subscription["trial_start"] = trialEnd is null ? null : call.Unix;
        subscription["trial_end"] = trialEnd?.ToUnixTimeSeconds();
        call.Store.Add(subscription);
        call.Emit("customer.subscription.created", subscription);
        return subscription;
    }

    private static JsonObject Item(StripeCall call, string subscription, JsonObject price, long? quantity, DateTimeOffset start, DateTimeOffset periodEnd)
    {
        var recurring = price["recurring"]!;
        var item = Fixtures.Template("subscription_item");
        item["id"] = Ids.New("si", 14);
        item["created"] = call.Unix;
        item["metadata"] = new JsonObject();
        item["price"] = price.DeepClone();
        // A metered item has no quantity: usage comes from the meter.
        if ((string?)recurring["usage_type"] == "metered") item.Remove("quantity");
        else item["quantity"] = quantity ?? 1;
        item["subscription"] = subscription;
        item["billing_thresholds"] = null;
        item["current_period_start"] = start.ToUnixTimeSeconds();
        item["current_period_end"] = periodEnd.ToUnixTimeSeconds();
        item["plan"] = new JsonObject
        {
            ["id"] = price["id"]!.DeepClone(), ["object"] = "plan", ["active"] = price["active"]!.DeepClone(),
            ["amount"] = price["unit_amount"]?.DeepClone(), ["amount_decimal"] = price["unit_amount_decimal"]?.DeepClone(),
            ["billing_scheme"] = "per_unit", ["created"] = price["created"]!.DeepClone(), ["currency"] = price["currency"]!.DeepClone(),
            ["interval"] = recurring["interval"]!.DeepClone(), ["interval_count"] = recurring["interval_count"]!.DeepClone(),
            ["livemode"] = false, ["metadata"] = price["metadata"]!.DeepClone(), ["meter"] = recurring["meter"]?.DeepClone(),
            ["nickname"] = price["nickname"]?.DeepClone(), ["product"] = price["product"]!.DeepClone(), ["tiers_mode"] = null,
            ["transform_usage"] = null, ["trial_period_days"] = null, ["usage_type"] = recurring["usage_type"]!.DeepClone(),
        };
        return item;
    }

    public static DateTimeOffset PeriodEnd(DateTimeOffset start, string interval, long count) => interval switch
    {
        "day" => start.AddDays(count),
        "week" => start.AddDays(7 * count),
        "month" => start.AddMonths((int)count),
        _ => start.AddYears((int)count),
    };

    /// <summary>Ends the subscription now; sends customer.subscription.deleted.</summary>
    public static void Cancel(StripeCall call, JsonObject subscription, string reason, string? comment = null, string? feedback = null)
    {
        if ((string?)subscription["status"] == "canceled")
            throw StripeError.InvalidRequest($"The subscription '{subscription["id"]}' is already canceled.", "id");
        subscription["status"] = "canceled";
        subscription["canceled_at"] = call.Unix;
        subscription["ended_at"] = call.Unix;
        subscription["cancel_at_period_end"] = false;
        subscription["cancellation_details"] = new JsonObject { ["comment"] = comment, ["feedback"] = feedback, ["reason"] = reason };
        call.Emit("customer.subscription.deleted", subscription);
    }

    public static JsonObject Find(StripeStore store, string id) => store.Find("subscription", id) ?? throw StripeError.NotFound("subscription", id);

    private static StripeReply Get(StripeCall call) =>
        StripeReply.Ok(Objects.Answer(call, Find(call.Store, call.Route("subscription_exposed_id"))));

    private static StripeReply List(StripeCall call)
    {
        var form = call.Params;
        var (customer, price, status) = (form.Text("customer"), form.Text("price"), form.Text("status"));
        var subscriptions = call.Store.Newest("subscription")
            .Where(s => customer is null || (string?)s["customer"] == customer)
            .Where(s => price is null || s["items"]!["data"]!.AsArray().Any(i => (string?)i!["price"]!["id"] == price))
            .Where(s => status switch
            {
                null => (string?)s["status"] != "canceled", // Stripe's default: everything not canceled
                "all" => true,
                _ => (string?)s["status"] == status,
            });
        return StripeReply.Ok(Lists.Page(call, "/v1/subscriptions", subscriptions));
    }

    private static StripeReply Update(StripeCall call)
    {
        var form = call.Params;
        var subscription = Find(call.Store, call.Route("subscription_exposed_id"));
        var canceled = (string?)subscription["status"] == "canceled";
        if (canceled && (form.Has("cancel_at_period_end") || form.Has("description")))
            throw StripeError.InvalidRequest("A canceled subscription can only update its metadata.", form.Has("description") ? "description" : "cancel_at_period_end");

        var previous = new JsonObject();
        if (form.Has("metadata"))
        {
            var before = subscription["metadata"]!.DeepClone();
            Objects.ApplyMetadata(subscription, form["metadata"]);
            if (!JsonNode.DeepEquals(before, subscription["metadata"])) previous["metadata"] = before;
        }
        if (form.String("description") is { } description && description != (string?)subscription["description"])
        {
            previous["description"] = subscription["description"]?.DeepClone();
            subscription["description"] = description.Length == 0 ? null : description;
        }
        if (form.Bool("cancel_at_period_end") is { } atPeriodEnd && atPeriodEnd != (bool)subscription["cancel_at_period_end"]!)
        {
            previous["cancel_at_period_end"] = !atPeriodEnd;
            previous["cancel_at"] = subscription["cancel_at"]?.DeepClone();
            subscription["cancel_at_period_end"] = atPeriodEnd;
            subscription["cancel_at"] = atPeriodEnd ? subscription["items"]!["data"]![0]!["current_period_end"]!.DeepClone() : null;
        }
        if (previous.Count > 0) call.Emit("customer.subscription.updated", subscription, previous);
        return StripeReply.Ok(Objects.Answer(call, subscription));
    }

    private static StripeReply Delete(StripeCall call)
    {
        var subscription = Find(call.Store, call.Route("subscription_exposed_id"));
        var details = call.Params.Map("cancellation_details");
        Cancel(call, subscription, "cancellation_requested", details?.Text("comment"), details?.Text("feedback"));
        return StripeReply.Ok(Objects.Answer(call, subscription));
    }
}
