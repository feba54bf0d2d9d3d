using System.Text;
using System.Text.Json.Nodes;
using TenantQuota.LocalStripe.Wire;
using static TenantQuota.LocalStripe.Resources.Html;

namespace TenantQuota.LocalStripe.Resources;

/// <summary>
/// The hosted checkout page a session's url opens: GET /checkout/{id} shows the items with a Pay button
/// (a POST form) and a cancel link; POST /checkout/{id}/pay completes the session
/// (<see cref="CheckoutSessions.Complete"/>) and redirects the browser (303) to its success_url.
/// </summary>
internal static class CheckoutPage
{
    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/checkout/{id}", Show);
        app.MapPost("/checkout/{id}/pay", Pay);
    }

    private static IResult Show(string id, HttpContext http, StripePipeline pipeline)
    {
        var call = pipeline.NewCall(http, FormMap.Empty, requestId: null, idempotencyKey: null);
        try
        {
            return pipeline.Run(call, c => Render(c, id));
        }
        catch (StripeError error)
        {
            return Page("Checkout", $"<h1>Checkout</h1><p role=\"alert\">{E(error.Message)}</p>", error.Status);
        }
    }

    private static IResult Render(StripeCall call, string id)
    {
        var session = CheckoutSessions.Find(call, id, notFound: true);
        var status = (string)session["status"]!;
        if (status != "open")
        {
            var back = (string?)(status == "complete" ? session["success_url"] : session["cancel_url"]);
            return Page("Checkout", $"""
                <h1>This checkout is {E(status)}</h1>
                {(back is null ? "" : $"<p><a href=\"{E(back)}\">Continue</a></p>")}
                """, status == "complete" ? 200 : 410);
        }

        var rows = new StringBuilder();
        foreach (var item in CheckoutSessions.Draft(call, id).LineItemsJson)
        {
            var price = item!["price"]!;
            var recurring = price["recurring"];
            var metered = (string?)recurring?["usage_type"] == "metered";
            var amount = $"{Money(price["unit_amount_decimal"], price["currency"])} {Interval(recurring)}" + (metered ? " per unit, billed on usage" : "");
            rows.Append($"<tr><td>{E((string?)item["description"] ?? (string?)price["product"])}</td><td>{E(amount)}</td><td>{(metered ? "metered" : E(item["quantity"]?.ToString()))}</td></tr>");
        }
        var cancel = (string?)session["cancel_url"];
        return Page("Subscribe", $"""
            <h1>Subscribe</h1>
            <table>
            <caption>Your subscription</caption>
            <thead><tr><th scope="col">Item</th><th scope="col">Price</th><th scope="col">Quantity</th></tr></thead>
            <tbody>{rows}</tbody>
            </table>
            <p>Due today: <strong>{E(Money(session["amount_total"], session["currency"]))}</strong></p>
            <form method="post" action="/checkout/{E(id)}/pay">
            <button type="submit">Pay</button>
            </form>
            {(cancel is null ? "" : $"<p><a href=\"{E(cancel)}\">Cancel and go back</a></p>")}
            """);
    }

    private static IResult Pay(string id, HttpContext http, StripePipeline pipeline)
    {
        var call = pipeline.NewCall(http, FormMap.Empty, requestId: null, idempotencyKey: null);
        try
        {
            var successUrl = pipeline.Run(call, c => CheckoutSessions.Complete(c, id));
            return successUrl is null
                ? Page("Paid", "<h1>Thank you</h1><p role=\"status\">Your subscription is active.</p>")
                : new SeeOther(successUrl);
        }
        catch (StripeError error)
        {
            return Page("Checkout", $"<h1>Checkout</h1><p role=\"alert\">{E(error.Message)}</p>", error.Status);
        }
    }
}

/// <summary>303 See Other: after a POST, the browser GETs the next page.</summary>
internal sealed class SeeOther(string location) : IResult
{
    public Task ExecuteAsync(HttpContext http)
    {
        http.Response.StatusCode = StatusCodes.Status303SeeOther;
        http.Response.Headers.Location = location;
        return Task.CompletedTask;
    }
}
