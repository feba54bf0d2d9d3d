using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using TenantQuota.Api.Errors;
using TenantQuota.Billing.Webhooks;

namespace TenantQuota.Api.Billing;

/// <summary>What the webhook answers Stripe (which only reads the status); people debugging read the rest.</summary>
public sealed record StripeWebhookResponse(string EventId, bool Duplicate, string Outcome);

/// <summary>The shape of a Stripe event, for the API document only: the endpoint reads the raw body.</summary>
public sealed record StripeEventDocument(string Id, string Object, string Type, [property: JsonPropertyName("api_version")] string? ApiVersion, long Created, JsonElement Data);

/// <summary>
/// POST /v1/billing/stripe/webhook: no bearer token; Stripe-Signature is the authentication, verified over
/// the raw body. 400 on a missing, wrong or stale signature (nothing stored); 200 once the event is stored,
/// and acted on (<see cref="StripeWebhooks"/>); a duplicate event id is a 200 that changes nothing.
/// </summary>
public static class StripeWebhookEndpoint
{
    /// <summary>Stripe's events are small, but an invoice with many lines can pass the API's usual 64 KB.</summary>
    public const long MaxBodyBytes = 512 * 1024;

    public static async Task<Results<Ok<StripeWebhookResponse>, ProblemHttpResult>> Handle(HttpContext http, StripeWebhooks webhooks, CancellationToken cancellationToken)
    {
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit) limit.MaxRequestBodySize = MaxBodyBytes;
        string json;
        using (var reader = new StreamReader(http.Request.Body, new UTF8Encoding(false, throwOnInvalidBytes: false)))
            json = await reader.ReadToEndAsync(cancellationToken);

        var receipt = await webhooks.ReceiveAsync(json, http.Request.Headers["Stripe-Signature"].ToString(), cancellationToken);
        return receipt.Verdict switch
        {
            WebhookVerdict.BadSignature => TypedResults.Problem(receipt.Detail, statusCode: StatusCodes.Status400BadRequest,
                title: "The Stripe signature does not verify.", type: BillingProblems.InvalidSignature),
            WebhookVerdict.Malformed => TypedResults.Problem(receipt.Detail, statusCode: StatusCodes.Status400BadRequest,
                title: "The body is not a Stripe event.", type: ProblemTypes.MalformedBody),
            _ => TypedResults.Ok(new StripeWebhookResponse(receipt.EventId!, receipt.Verdict == WebhookVerdict.Duplicate, receipt.Outcome ?? "")),
        };
    }
}
