using Microsoft.Extensions.Options;
using Microsoft.OpenApi;
using TenantQuota.Api.Auth;
using TenantQuota.Api.Hosting;
using TenantQuota.Billing;

namespace TenantQuota.Api.Billing;

/// <summary>The billing routes (Stripe): catalogue sync, checkout and portal sessions, and Stripe's webhook.</summary>
public static class BillingApi
{
    /// <summary>
    /// Stripe and billing services (<see cref="BillingServices.AddBilling"/>). When billing is enabled
    /// (Stripe__SecretKey set), the API also needs Stripe__WebhookSecret, checked at start.
    /// </summary>
    public static IServiceCollection AddBillingApi(this IServiceCollection services)
    {
        services.AddBilling();
        services.AddOptions<StripeSettings>().Validate(
            stripe => !stripe.Enabled || stripe.WebhookSecret?.StartsWith("whsec_", StringComparison.Ordinal) == true,
            "Stripe:WebhookSecret (env Stripe__WebhookSecret) is required when billing is enabled: the whsec_… signing secret of the Stripe webhook endpoint that points at /v1/billing/stripe/webhook.");
        return services;
    }

    public static RouteGroupBuilder MapBilling(this RouteGroupBuilder v1)
    {
        var billing = v1.MapGroup("/billing").WithTags("Billing").AddEndpointFilter(BillingProblems.Guard)
            .ProducesProblem(StatusCodes.Status502BadGateway);

        billing.MapPost("/catalog/sync", CatalogSyncEndpoint.Handle)
            .RequireAuthorization(Scopes.PlatformAdmin)
            .WithName("SyncBillingCatalog")
            .WithSummary("Create or update the Stripe catalogue for the matrix")
            .WithDescription("Idempotently makes Stripe hold, per tier sold, a product and a monthly price (lookup_key tq_tier_{tier}, " +
                "amount from Billing__Prices), and per operation class with overage, a billing meter (event_name tq_overage_{class}, sum, " +
                "by stripe_customer_id) with a metered monthly price (lookup_key tq_overage_{class}). Existing objects are found first and " +
                "kept; changes lists what had to be created or updated (empty on a second run). Run it after every change of the matrix " +
                "or of the prices. Scope platform.admin.")
            .WithExamples("{}", CatalogExample);

        billing.MapPost("/checkout-sessions", CheckoutSessionEndpoint.Handle)
            .RequireAuthorization(Scopes.TenantAdmin)
            .WithName("CreateCheckoutSession")
            .WithSummary("Start buying a higher tier")
            .WithDescription("A Stripe Checkout Session (mode subscription) for the caller's tenant: the tier's monthly price plus the " +
                "metered overage prices, metadata tenant_id and tier on the session and its subscription. Send the user to url; the " +
                "tenant moves to the tier when Stripe reports the payment (webhook), not before. The tenant's Stripe customer is created " +
                "on first need. 400 for a tier that is unknown, free, not sold or not above the current one; 409 when the catalogue is " +
                "not synced yet or the tenant already has a subscription (change it in the portal). Scope tenant.admin.")
            .ProducesProblem(StatusCodes.Status409Conflict)
            .AcceptsJsonBody()
            .WithExamples("""{ "tier": "pro", "successUrl": "https://app.example/ok", "cancelUrl": "https://app.example/no" }""",
                """{ "id": "cs_test_a1b2c3", "url": "https://checkout.stripe.com/c/pay/cs_test_a1b2c3" }""", "201");

        billing.MapPost("/portal-sessions", PortalSessionEndpoint.Handle)
            .RequireAuthorization(Scopes.TenantAdmin)
            .WithName("CreatePortalSession")
            .WithSummary("Open the Stripe billing portal")
            .WithDescription("A Stripe billing portal session for the caller's tenant (card, plan, invoices, cancellation); send the user " +
                "to url, Stripe sends them back to returnUrl. 409 when the tenant has never started a checkout. Scope tenant.admin.")
            .ProducesProblem(StatusCodes.Status409Conflict)
            .AcceptsJsonBody()
            .WithExamples("""{ "returnUrl": "https://app.example/billing" }""",
                """{ "id": "bps_1a2b3c", "url": "https://billing.stripe.com/p/session/test_1a2b3c" }""", "201");

        billing.MapPost("/stripe/webhook", StripeWebhookEndpoint.Handle)
            .AllowAnonymous()
            .WithName("ReceiveStripeWebhook")
            .WithSummary("Receive a Stripe event (Stripe calls this)")
            .WithDescription("No bearer token: the Stripe-Signature header (t=…,v1=…) is verified over the raw body with the endpoint's " +
                "secret (any v1 matches, so a secret rotation works), at most 300 s from our clock. 400 when it does not verify or the " +
                "body is not an event, and nothing is stored. Otherwise the event is stored by id and acted on, in the order of Stripe's " +
                "event times: checkout.session.completed and customer.subscription.created/updated move the tenant to the paid tier, " +
                "customer.subscription.deleted to the free tier, invoice.payment_failed starts a grace period (Billing__GracePeriod, " +
                "7 days) after which the tenant drops to the free tier, invoice.paid ends it. An event older than what the tenant's " +
                "subscription state already reflects changes nothing; a duplicate event id answers 200 and changes nothing.")
            .Accepts<StripeEventDocument>("application/json")
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .AddOpenApiOperationTransformer((operation, _, _) =>
            {
                operation.Security = [];
                operation.Parameters ??= [];
                operation.Parameters.Add(new OpenApiParameter
                {
                    Name = "Stripe-Signature",
                    In = ParameterLocation.Header,
                    Required = true,
                    Description = "t=<unix seconds>,v1=<hex HMAC-SHA256 of \"<t>.<raw body>\" with the endpoint secret>[,v1=…]",
                    Schema = new OpenApiSchema { Type = JsonSchemaType.String },
                });
                if (operation.RequestBody is OpenApiRequestBody body) body.Required = true;
                return Task.CompletedTask;
            })
            .WithExamples(WebhookExample, """{ "eventId": "evt_1Q2w3E", "duplicate": false, "outcome": "applied: pro (active); tenant moved to pro" }""");
        return v1;
    }

    private const string CatalogExample = """
        { "matrixVersion": "2026-11-01", "currency": "usd",
          "tiers": [ { "tier": "pro", "productId": "prod_Q1", "priceId": "price_P1", "unitAmount": 2000 } ],
          "overage": [ { "operationClass": "drafts", "productId": "prod_Q4", "meterId": "mtr_M1", "eventName": "tq_overage_drafts",
                         "priceId": "price_P4", "unitAmount": 1 } ],
          "changes": [] }
        """;

    private const string WebhookExample = """
        { "id": "evt_1Q2w3E", "object": "event", "type": "checkout.session.completed", "api_version": "2026-10-28.endive",
          "created": 1795000000,
          "data": { "object": { "id": "cs_test_a1b2c3", "object": "checkout.session", "mode": "subscription", "customer": "cus_T1",
                                "subscription": "sub_S1", "payment_status": "paid", "metadata": { "tenant_id": "acme", "tier": "pro" } } } }
        """;
}
