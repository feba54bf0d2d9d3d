using System.Text;
using System.Text.Json.Nodes;
using TenantQuota.LocalStripe.Wire;
using static TenantQuota.LocalStripe.Resources.Html;

namespace TenantQuota.LocalStripe.Resources;

/// <summary>
/// POST /v1/billing_portal/sessions → {id, url}; the page at url (GET /billing_portal/{id}) lists the
/// customer's subscriptions, each active one with a "Cancel subscription" button that cancels it now
/// (customer.subscription.deleted), and links back to return_url. Minimal by design.
/// </summary>
internal static class BillingPortal
{
    public static void Map(IEndpointRouteBuilder app)
    {
        StripePipeline.Map(app, "POST", "/v1/billing_portal/sessions", Create);
        app.MapGet("/billing_portal/{id}", Show);
        app.MapPost("/billing_portal/{id}/cancel", Cancel);
    }

    private static StripeReply Create(StripeCall call)
    {
        var form = call.Params;
        Modeled.Only(call, "configuration", "customer", "locale", "return_url");
        // Optional in the current API (customer_account is the alternative), which LocalStripe does not model.
        var customer = form.Text("customer") ?? throw StripeError.InvalidRequest("Missing required param: customer.", "customer");
        if (call.Store.Find("customer", customer) is null) throw StripeError.NoSuch("customer", customer, "customer");
        if (form.Text("return_url") is { } url && !Uri.TryCreate(url, UriKind.Absolute, out _))
            throw StripeError.InvalidRequest("Not a valid URL: return_url.", "return_url");
        var configuration = call.Store.PortalConfigurationId ??= Ids.New("bpc");
        if (form.Text("configuration") is { } asked && asked != configuration)
            throw StripeError.NoSuch("billing portal configuration", asked, "configuration");

        var id = Ids.New("bps");
        var session = Fixtures.Template("billing_portal.session");
        session["id"] = id;
        session["configuration"] = configuration;
        session["created"] = call.Unix;
        session["customer"] = customer;
        session["flow"] = null;
        session["livemode"] = false;
        session["locale"] = form.Text("locale");
        session["on_behalf_of"] = null;
        session["return_url"] = form.Text("return_url");
        session["url"] = $"{call.PublicBase}/billing_portal/{id}";
        call.Store.Add(session);
        return StripeReply.Ok(Objects.Answer(call, session));
    }

    private static IResult Show(string id, HttpContext http, StripePipeline pipeline)
    {
        var call = pipeline.NewCall(http, FormMap.Empty, requestId: null, idempotencyKey: null);
        return pipeline.Run(call, c =>
        {
            if (c.Store.Find("billing_portal.session", id) is not { } session)
                return Page("Billing", "<h1>Billing</h1><p role=\"alert\">No such portal session.</p>", 404);

            var rows = new StringBuilder();
            foreach (var subscription in c.Store.Newest("subscription").Where(s => (string?)s["customer"] == (string?)session["customer"]))
            {
                var subscriptionId = (string)subscription["id"]!;
                var status = (string)subscription["status"]!;
                var items = string.Join(", ", subscription["items"]!["data"]!.AsArray().Select(i => ProductName(c, i!["price"]!)).Distinct());
                var action = status is "canceled" ? "" : $"""
                    <form method="post" action="/billing_portal/{E(id)}/cancel">
                    <input type="hidden" name="subscription" value="{E(subscriptionId)}">
                    <button type="submit" class="danger" aria-label="Cancel subscription {E(items)}">Cancel subscription</button>
                    </form>
                    """;
                rows.Append($"<tr><td>{E(items)}</td><td>{E(status)}</td><td>{action}</td></tr>");
            }
            var back = (string?)session["return_url"];
            return Page("Billing", $"""
                <h1>Your subscriptions</h1>
                <table>
                <caption>Subscriptions of {E((string?)session["customer"])}</caption>
                <thead><tr><th scope="col">Plan</th><th scope="col">Status</th><th scope="col">Action</th></tr></thead>
                <tbody>{(rows.Length == 0 ? "<tr><td colspan=\"3\">No subscriptions.</td></tr>" : rows)}</tbody>
                </table>
                {(back is null ? "" : $"<p><a href=\"{E(back)}\">Return</a></p>")}
                """);
        });
    }

    private static async Task<IResult> Cancel(string id, HttpContext http, StripePipeline pipeline)
    {
        var form = await http.Request.ReadFormAsync(http.RequestAborted);
        var subscriptionId = form["subscription"].ToString();
        var call = pipeline.NewCall(http, FormMap.Empty, requestId: null, idempotencyKey: null);
        try
        {
            pipeline.Run(call, c =>
            {
                var session = c.Store.Find("billing_portal.session", id) ?? throw StripeError.NotFound("portal session", id);
                var subscription = Subscriptions.Find(c.Store, subscriptionId);
                if ((string?)subscription["customer"] != (string?)session["customer"]) throw StripeError.NotFound("subscription", subscriptionId);
                Subscriptions.Cancel(c, subscription, "cancellation_requested");
                return 0;
            });
            return new SeeOther($"/billing_portal/{id}");
        }
        catch (StripeError error)
        {
            return Page("Billing", $"<h1>Billing</h1><p role=\"alert\">{E(error.Message)}</p>", error.Status);
        }
    }

    private static string ProductName(StripeCall call, JsonNode price) =>
        (string?)call.Store.Find("product", (string?)price["product"])?["name"] ?? (string)price["id"]!;
}
