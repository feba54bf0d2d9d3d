using System.Text.Json.Nodes;
using TenantQuota.LocalStripe.Wire;

namespace TenantQuota.LocalStripe.Resources;

/// <summary>
/// POST /v1/checkout/sessions (mode=subscription, hosted) and GET /v1/checkout/sessions/{session};
/// <see cref="Complete"/> is what the hosted page's Pay button does (<see cref="CheckoutPage"/>).
/// </summary>
internal static class CheckoutSessions
{
    private static readonly TimeSpan DefaultLifetime = TimeSpan.FromHours(24);

    public static void Map(IEndpointRouteBuilder app)
    {
        StripePipeline.Map(app, "POST", "/v1/checkout/sessions", Create);
        StripePipeline.Map(app, "GET", "/v1/checkout/sessions/{session}", Get);
    }

    private static StripeReply Create(StripeCall call)
    {
        var form = call.Params;
        Modeled.Only(call, "cancel_url", "client_reference_id", "customer", "customer_email", "expires_at", "line_items", "metadata",
            "mode", "payment_method_types", "subscription_data", "success_url", "ui_mode");
        if (form.Text("mode") is not { } mode) throw StripeError.InvalidRequest("Missing required param: mode.", "mode");
        if (mode != "subscription") throw StripeError.NotImplemented($"mode={mode} (only mode=subscription)", "mode");
        if (form.Text("ui_mode") is { } ui && ui != "hosted") throw StripeError.NotImplemented($"ui_mode={ui} (only the hosted page)", "ui_mode");
        if (form.Strings("payment_method_types").FirstOrDefault(t => t != "card") is { } method)
            throw StripeError.NotImplemented($"payment method '{method}' (only card)", "payment_method_types");
        foreach (var url in new[] { "success_url", "cancel_url" })
            if (form.Text(url) is { } text && !Uri.TryCreate(text.Replace("{CHECKOUT_SESSION_ID}", "x", StringComparison.Ordinal), UriKind.Absolute, out _))
                throw StripeError.InvalidRequest($"Not a valid URL: {url}.", url);

        var customer = form.Text("customer");
        if (customer is not null && form.Text("customer_email") is not null)
            throw StripeError.InvalidRequest("You may only specify one of these parameters: customer, customer_email.", "customer_email");
        if (customer is not null && call.Store.Find("customer", customer) is null) throw StripeError.NoSuch("customer", customer, "customer");

        var subscriptionData = form.Map("subscription_data");
        if (subscriptionData?.Entries.FirstOrDefault(e => e.Key is not ("metadata" or "description" or "trial_period_days")) is { Key: { } unsupported })
            throw StripeError.NotImplemented($"subscription_data[{unsupported}]", $"subscription_data[{unsupported}]");

        var lines = LineItems(call);
        var expiresAt = form.Long("expires_at") ?? (call.Now + DefaultLifetime).ToUnixTimeSeconds();
        if (expiresAt < (call.Now + TimeSpan.FromMinutes(30)).ToUnixTimeSeconds() || expiresAt > (call.Now + DefaultLifetime).ToUnixTimeSeconds())
            throw StripeError.InvalidRequest("Invalid expires_at: it must be 30 minutes to 24 hours from now.", "expires_at");

        var id = Ids.New("cs_test", 58);
        var lineItemsJson = new JsonArray([.. lines.Select(line => (JsonNode)LineItem(call.Store, line.Price, line.Quantity))]);
        var total = lineItemsJson.Sum(i => (long)i!["amount_total"]!);

        var session = Fixtures.Template("checkout.session");
        session["id"] = id;
        session["object"] = "checkout.session";
        session["after_expiration"] = null;
        session["amount_subtotal"] = total;
        session["amount_total"] = total;
        session["automatic_tax"] = new JsonObject { ["enabled"] = false, ["liability"] = null, ["status"] = null, ["provider"] = null };
        session["cancel_url"] = form.Text("cancel_url");
        session["client_reference_id"] = form.Text("client_reference_id");
        session["collected_information"] = null;
        session["consent"] = null;
        session["consent_collection"] = null;
        session["created"] = call.Unix;
        session["currency"] = lines[0].Price["currency"]!.DeepClone();
        session["currency_conversion"] = null;
        session["custom_text"] = new JsonObject { ["after_submit"] = null, ["shipping_address"] = null, ["submit"] = null, ["terms_of_service_acceptance"] = null };
        session["customer"] = customer;
        session["customer_details"] = null;
        session["customer_email"] = form.Text("customer_email");
        session["discounts"] = new JsonArray();
        session["expires_at"] = expiresAt;
        session["invoice_creation"] = null;
        session["livemode"] = false;
        session["managed_payments"] = null;
        session["metadata"] = new JsonObject();
        Objects.ApplyMetadata(session, form["metadata"]);
        session["mode"] = "subscription";
        session["payment_intent"] = null;
        session["payment_method_collection"] = "always";
        session["payment_method_configuration_details"] = null;
        session["payment_status"] = "unpaid";
        session["permissions"] = null;
        session["saved_payment_method_options"] = null;
        session["shipping_address_collection"] = null;
        session["shipping_cost"] = null;
        session["status"] = "open";
        session["subscription"] = null;
        session["success_url"] = form.Text("success_url");
        session["total_details"] = new JsonObject { ["amount_discount"] = 0, ["amount_shipping"] = 0, ["amount_tax"] = 0 };
        session["ui_mode"] = "hosted";
        session["url"] = $"{call.PublicBase}/checkout/{id}";
        session["adaptive_pricing"] = null;
        session["wallet_options"] = null;

        call.Store.Add(session);
        call.Store.CheckoutDrafts[id] = new CheckoutDraft(
            lines.Select(l => ((string)l.Price["id"]!, l.Quantity)).ToList(), lineItemsJson,
            Objects.Strings(subscriptionData?.Map("metadata")), subscriptionData?.Text("description"), subscriptionData?.Long("trial_period_days"));
        return StripeReply.Ok(Answer(call, session));
    }

    /// <summary>
    /// line_items[i][price] (+ [quantity]): active recurring prices, one currency, one billing interval, at most 20.
    /// A licensed price needs a quantity; a metered one must not have one (usage comes from its meter).
    /// </summary>
    private static List<(JsonObject Price, long? Quantity)> LineItems(StripeCall call)
    {
        var items = call.Params.Items("line_items");
        if (items.Count == 0) throw StripeError.InvalidRequest("Missing required param: line_items.", "line_items");
        if (items.Count > 20) throw StripeError.InvalidRequest("Invalid line_items: subscription mode takes at most 20 recurring items.", "line_items");

        var lines = new List<(JsonObject, long?)>();
        for (var i = 0; i < items.Count; i++)
        {
            var param = $"line_items[{i}]";
            if (items[i] is not FormMap item) throw StripeError.InvalidRequest($"Invalid {param}: expected price and quantity.", param);
            if (item.Entries.FirstOrDefault(e => e.Key is not ("price" or "quantity")) is { Key: { } other })
                throw StripeError.NotImplemented($"{param}[{other}] (only price and quantity)", $"{param}[{other}]");
            var priceId = item.Text("price") ?? throw StripeError.InvalidRequest($"Missing required param: {param}[price].", $"{param}[price]");
            var price = Prices.Find(call.Store, priceId, $"{param}[price]");
            if ((bool?)price["active"] != true) throw StripeError.InvalidRequest($"The price '{priceId}' is not active.", $"{param}[price]");
            if (price["recurring"] is not JsonObject recurring)
                throw StripeError.NotImplemented($"one-time prices in subscription mode ({priceId})", $"{param}[price]");

            var quantity = item.Long("quantity");
            var metered = (string?)recurring["usage_type"] == "metered";
            if (metered && quantity is not null)
                throw StripeError.InvalidRequest($"Quantity should not be specified where usage_type is `metered`. Remove quantity from `{param}`.", $"{param}[quantity]");
            if (!metered && quantity is null)
                throw StripeError.InvalidRequest($"Quantity is required. Add `quantity` to `{param}`.", $"{param}[quantity]");
            if (quantity is < 1) throw StripeError.InvalidRequest($"Invalid {param}[quantity]: must be at least 1.", $"{param}[quantity]");

            var first = lines.Count > 0 ? lines[0].Item1 : price;
            if ((string)first["currency"]! != (string)price["currency"]!)
                throw StripeError.InvalidRequest("All prices of a checkout session must share one currency.", $"{param}[price]");
            if (!JsonNode.DeepEquals(first["recurring"]!["interval"], recurring["interval"]) || !JsonNode.DeepEquals(first["recurring"]!["interval_count"], recurring["interval_count"]))
                throw StripeError.InvalidRequest("All recurring prices of a subscription must share one billing interval.", $"{param}[price]");
            lines.Add((price, quantity));
        }
        return lines;
    }

    private static JsonObject LineItem(StripeStore store, JsonObject price, long? quantity)
    {
        var amount = (long?)price["unit_amount"] is { } unit && (string?)price["recurring"]?["usage_type"] != "metered" ? unit * (quantity ?? 1) : 0;
        return new JsonObject
        {
            ["id"] = Ids.New("li"),
            ["object"] = "item",
            ["amount_discount"] = 0,
            ["amount_subtotal"] = amount,
            ["amount_tax"] = 0,
            ["amount_total"] = amount,
            ["currency"] = price["currency"]!.DeepClone(),
            ["description"] = store.Find("product", (string?)price["product"])?["name"]?.DeepClone(),
            ["price"] = price.DeepClone(),
            ["quantity"] = quantity,
        };
    }

    private static StripeReply Get(StripeCall call) => StripeReply.Ok(Answer(call, Find(call, call.Route("session"), notFound: true)));

    /// <summary>The session, expired first if its time has passed (sends checkout.session.expired).</summary>
    public static JsonObject Find(StripeCall call, string id, bool notFound)
    {
        var session = call.Store.Find("checkout.session", id)
            ?? throw (notFound ? StripeError.NotFound("checkout session", id) : StripeError.NoSuch("checkout session", id, "session"));
        if ((string?)session["status"] == "open" && call.Unix >= (long)session["expires_at"]!)
        {
            session["status"] = "expired";
            session["url"] = null;
            call.Emit("checkout.session.expired", session);
        }
        return session;
    }

    public static CheckoutDraft Draft(StripeCall call, string id) => call.Store.CheckoutDrafts[id];

    /// <summary><c>expand[]=line_items</c> is served from the draft; anything else by <see cref="Objects.Expand"/>.</summary>
    private static JsonObject Answer(StripeCall call, JsonObject session)
    {
        var answer = session.DeepClone().AsObject();
        if (call.Params.Strings("expand").Any(e => e == "line_items" || e.StartsWith("line_items.", StringComparison.Ordinal)))
        {
            var id = (string)session["id"]!;
            answer["line_items"] = Lists.Envelope($"/v1/checkout/sessions/{id}/line_items", Draft(call, id).LineItemsJson.Select(i => i!.DeepClone()));
        }
        return Objects.Expand(call, answer);
    }

    /// <summary>
    /// Pay: the customer (created if the session had none; customer.created), the subscription with the
    /// session's subscription_data (customer.subscription.created), the session complete
    /// (checkout.session.completed). Returns the success URL with {CHECKOUT_SESSION_ID} filled in.
    /// </summary>
    public static string? Complete(StripeCall call, string id)
    {
        var session = Find(call, id, notFound: true);
        if ((string?)session["status"] != "open")
            throw new StripeError(409, "invalid_request_error", $"This checkout session is {session["status"]}: it cannot be paid.");

        var draft = Draft(call, id);
        var customerId = (string?)session["customer"];
        if (customerId is null)
        {
            var created = Customers.New(call);
            created["email"] = session["customer_email"]?.DeepClone();
            call.Store.Add(created);
            call.Emit("customer.created", created);
            customerId = (string)created["id"]!;
        }
        var customer = call.Store.Find("customer", customerId)!;
        customer["currency"] ??= session["currency"]!.DeepClone();

        var lines = draft.LineItems.Select(l => (Prices.Find(call.Store, l.PriceId, "line_items"), l.Quantity)).ToList();
        var subscription = Subscriptions.Create(call, customerId, lines, draft.SubscriptionMetadata, draft.SubscriptionDescription, draft.TrialPeriodDays);

        session["status"] = "complete";
        session["payment_status"] = (long)session["amount_total"]! > 0 && (string?)subscription["status"] == "active" ? "paid" : "no_payment_required";
        session["customer"] = customerId;
        session["subscription"] = subscription["id"]!.DeepClone();
        session["url"] = null;
        session["customer_details"] = new JsonObject
        {
            ["address"] = null, ["email"] = customer["email"]?.DeepClone(), ["name"] = customer["name"]?.DeepClone(),
            ["phone"] = null, ["tax_exempt"] = "none", ["tax_ids"] = new JsonArray(),
        };
        call.Emit("checkout.session.completed", session);
        return ((string?)session["success_url"])?.Replace("{CHECKOUT_SESSION_ID}", id, StringComparison.Ordinal);
    }
}
