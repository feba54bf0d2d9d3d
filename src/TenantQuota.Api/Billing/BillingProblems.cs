using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Stripe;
using TenantQuota.Api.Errors;
using TenantQuota.Billing;

namespace TenantQuota.Api.Billing;

/// <summary>
/// The billing problems, with stable type URIs beside <see cref="ProblemTypes"/> (same base), and the one
/// place where billing being off or Stripe failing becomes an answer: <see cref="Guard"/>, an endpoint
/// filter on every billing route.
/// </summary>
public static class BillingProblems
{
    private const string Base = "https://docs.tenantquota.dev/problems/";
    public const string NotConfigured = Base + "billing-not-configured";
    public const string CatalogNotSynced = Base + "billing-catalog-not-synced";
    public const string NoCustomer = Base + "billing-no-customer";
    public const string SubscriptionExists = Base + "billing-subscription-exists";
    public const string InvalidSignature = Base + "invalid-signature";
    public const string StripeUnavailable = Base + "stripe-unavailable";
    public const string StripeRejected = Base + "stripe-rejected";

    /// <summary>Seconds to wait after Stripe could not be reached (it has already been retried twice).</summary>
    public const int StripeRetryAfterSeconds = 10;

    public static ProblemHttpResult Conflict(string type, string title, string detail) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status409Conflict, title: title, type: type);

    /// <summary>
    /// Billing off (no Stripe__SecretKey): every billing endpoint answers 503 billing-not-configured, the
    /// webhook too (Stripe keeps retrying a delivery for days, so nothing is lost while an operator
    /// configures it). A Stripe failure: 503 stripe-unavailable with Retry-After when Stripe could not
    /// be reached or asked us to come back (5xx, 409, 429), 502 stripe-rejected when it refused the
    /// request (4xx: our configuration or our bug); both are logged with Stripe's request id.
    /// </summary>
    public static async ValueTask<object?> Guard(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        if (!http.RequestServices.GetRequiredService<IOptions<StripeSettings>>().Value.Enabled)
            return TypedResults.Problem("Billing is not configured on this server: set Stripe__SecretKey (and Stripe__WebhookSecret) to enable it.",
                statusCode: StatusCodes.Status503ServiceUnavailable, title: "Billing is not configured.", type: NotConfigured);
        try
        {
            return await next(context);
        }
        catch (StripeException e)
        {
            if (StripeFailures.Log(Logger(http), e, Operation(http)) == StripeFailureKind.Unavailable) return Unavailable(http);
            return TypedResults.Problem("Stripe refused the request; this is a problem on our side and has been logged.",
                statusCode: StatusCodes.Status502BadGateway, title: "Stripe refused the request.", type: StripeRejected);
        }
        catch (Exception e) when (e is HttpRequestException || e is TaskCanceledException && !http.RequestAborted.IsCancellationRequested)
        {
            // Billing endpoints make no HTTP calls but Stripe's.
            StripeFailures.LogUnreachable(Logger(http), e, Operation(http));
            return Unavailable(http);
        }
    }

    private static ProblemHttpResult Unavailable(HttpContext http)
    {
        http.Response.Headers.RetryAfter = StripeRetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
        return TypedResults.Problem($"Stripe could not be reached or is busy. Retry after {StripeRetryAfterSeconds} seconds.",
            statusCode: StatusCodes.Status503ServiceUnavailable, title: "Stripe is unavailable.", type: StripeUnavailable);
    }

    private static ILogger Logger(HttpContext http) => http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("TenantQuota.Api.Billing");

    private static string Operation(HttpContext http) =>
        http.GetEndpoint()?.Metadata.GetMetadata<IEndpointNameMetadata>()?.EndpointName ?? http.Request.Path.Value ?? "";
}
