using Microsoft.AspNetCore.Http.HttpResults;
using Stripe;
using TenantQuota.Api.Auth;
using TenantQuota.Api.Errors;
using TenantQuota.Billing;
using TenantQuota.Billing.Customers;
using TenantQuota.Data;

namespace TenantQuota.Api.Billing;

public sealed record PortalSessionRequest(string? ReturnUrl);

public sealed record PortalSessionResponse(string Id, string Url);

/// <summary>
/// POST /v1/billing/portal-sessions (tenant.admin): a Stripe billing portal session for the caller's
/// tenant, where its admins change card, plan or cancel. A tenant without a Stripe customer (it never
/// started a checkout) has nothing to manage: 409.
/// </summary>
public static class PortalSessionEndpoint
{
    public static async Task<Results<Created<PortalSessionResponse>, ValidationProblem, ProblemHttpResult>> Handle(
        TenantContext caller, PortalSessionRequest? request, TenantQuotaDb db, BillingCustomers customers, IStripeClient stripe, CancellationToken cancellationToken)
    {
        if (request is null) return Problems.Validation("body", "A JSON body is required: { \"returnUrl\" }.");
        var tenant = await BillingInput.RequireTenantAsync(db, caller, cancellationToken);
        if (BillingInput.UrlError("returnUrl", request.ReturnUrl) is { } urlError) return Problems.Validation("returnUrl", urlError);

        if (await customers.FindAsync(tenant.Id, cancellationToken) is not { } customerId)
            return BillingProblems.Conflict(BillingProblems.NoCustomer, "The tenant has no billing account yet.",
                $"Tenant '{tenant.Id}' has never started a checkout, so there is nothing to manage: start one with POST /v1/billing/checkout-sessions.");

        var session = await new Stripe.BillingPortal.SessionService(stripe).CreateAsync(
            new Stripe.BillingPortal.SessionCreateOptions { Customer = customerId, ReturnUrl = request.ReturnUrl },
            IdempotencyKeys.Portal(tenant.Id, Guid.CreateVersion7()), cancellationToken);
        return TypedResults.Created((string?)null, new PortalSessionResponse(session.Id, session.Url));
    }
}
