using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Npgsql;
using Stripe;
using Stripe.Checkout;
using TenantQuota.Api.Auth;
using TenantQuota.Api.Errors;
using TenantQuota.Billing;
using TenantQuota.Billing.Catalog;
using TenantQuota.Billing.Customers;
using TenantQuota.Billing.Subscriptions;
using TenantQuota.Data;
using TenantQuota.Domain.Matrix;

namespace TenantQuota.Api.Billing;

public sealed record CheckoutSessionRequest(string? Tier, string? SuccessUrl, string? CancelUrl);

public sealed record CheckoutSessionResponse(string Id, string Url);

/// <summary>
/// POST /v1/billing/checkout-sessions (tenant.admin): a Stripe Checkout Session (mode subscription) that
/// sells the caller's tenant a tier above its current one: the tier's monthly price plus every metered
/// overage price, with metadata tenant_id and tier on the session and on the subscription it creates.
/// The tenant's Stripe customer is created on first need, exactly once (<see cref="BillingCustomers"/>).
/// The tier moves when Stripe's webhook says the session completed, not here.
/// </summary>
public static class CheckoutSessionEndpoint
{
    public static async Task<Results<Created<CheckoutSessionResponse>, ValidationProblem, ProblemHttpResult>> Handle(
        TenantContext caller, CheckoutSessionRequest? request, TenantQuotaDb db, NpgsqlDataSource dataSource, QuotaMatrix matrix,
        IOptions<BillingSettings> billing, BillingCustomers customers, BillingSubscriptions subscriptions, IStripeClient stripe,
        CancellationToken cancellationToken)
    {
        if (request is null) return Problems.Validation("body", "A JSON body is required: { \"tier\", \"successUrl\", \"cancelUrl\" }.");
        var tenant = await BillingInput.RequireTenantAsync(db, caller, cancellationToken);

        var errors = new Dictionary<string, string[]>();
        if (TierError(request.Tier, tenant.Tier, matrix, billing.Value) is { } tierError) errors["tier"] = [tierError];
        if (BillingInput.UrlError("successUrl", request.SuccessUrl) is { } successError) errors["successUrl"] = [successError];
        if (BillingInput.UrlError("cancelUrl", request.CancelUrl) is { } cancelError) errors["cancelUrl"] = [cancelError];
        if (errors.Count > 0) return Problems.Validation(errors);
        var tier = request.Tier!;

        if (await subscriptions.FindAsync(tenant.Id, cancellationToken) is { Status: SubscriptionStatus.Active or SubscriptionStatus.Trialing or SubscriptionStatus.PastDue } current)
            return BillingProblems.Conflict(BillingProblems.SubscriptionExists, "The tenant already has a subscription.",
                $"Tenant '{tenant.Id}' has a {current.Status} {current.Tier} subscription; change it in the billing portal " +
                "(POST /v1/billing/portal-sessions) rather than buying a second one.");

        var catalog = await StripeCatalog.ReadAsync(dataSource, cancellationToken);
        var overageClasses = CatalogSync.OverageClasses(matrix);
        var tierPrice = catalog.Find(StripeCatalog.Price, tier);
        var meteredPrices = overageClasses.Select(c => catalog.Find(StripeCatalog.MeteredPrice, c.Name)).ToList();
        if (tierPrice is null || meteredPrices.Any(p => p is null))
            return BillingProblems.Conflict(BillingProblems.CatalogNotSynced, "The Stripe catalogue is not synced.",
                $"Stripe has no price for tier '{tier}' or for the overage of {string.Join(", ", overageClasses.Select(c => c.Name))} yet: " +
                "the platform operator runs POST /v1/billing/catalog/sync once (and after every change of the matrix or of Billing__* prices).");

        var customerId = await customers.EnsureAsync(tenant.Id, tenant.Name, cancellationToken);
        var metadata = new Dictionary<string, string> { ["tenant_id"] = tenant.Id, ["tier"] = tier };
        var session = await new SessionService(stripe).CreateAsync(new SessionCreateOptions
        {
            Mode = "subscription",
            Customer = customerId,
            ClientReferenceId = tenant.Id,
            SuccessUrl = request.SuccessUrl,
            CancelUrl = request.CancelUrl,
            LineItems =
            [
                new SessionLineItemOptions { Price = tierPrice.StripeId, Quantity = 1 },
                // Metered prices take no quantity: Stripe bills what the meter sums.
                .. meteredPrices.Select(p => new SessionLineItemOptions { Price = p!.StripeId }),
            ],
            Metadata = metadata,
            SubscriptionData = new SessionSubscriptionDataOptions { Metadata = new Dictionary<string, string>(metadata) },
        }, IdempotencyKeys.Checkout(tenant.Id, tier, Guid.CreateVersion7()), cancellationToken);
        return TypedResults.Created((string?)null, new CheckoutSessionResponse(session.Id, session.Url));
    }

    /// <summary>A tier of the matrix that Checkout sells (it has a price) and that is above the tenant's current one.</summary>
    private static string? TierError(string? tier, string currentTier, QuotaMatrix matrix, BillingSettings billing)
    {
        if (!matrix.HasTier(tier))
            return $"tier is required: one of {string.Join(", ", matrix.Tiers.Skip(1))}; '{tier}' is not a tier.";
        if (billing.PriceOf(tier!) is null)
            return tier == matrix.Tiers[0]
                ? $"tier '{tier}' is the free tier and is not bought."
                : $"tier '{tier}' is not sold through Checkout; talk to us.";
        var order = matrix.Tiers.ToList();
        if (order.IndexOf(tier!) <= order.IndexOf(currentTier))
            return $"tier must be above the tenant's current tier '{currentTier}'; '{tier}' is not.";
        return null;
    }
}
