using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using TenantQuota.Billing.MeterEvents;

namespace TenantQuota.Billing.Reconciliation;

public static class ReconciliationServices
{
    /// <summary>
    /// The <see cref="MeterEventSender"/> and <see cref="OverageReconciliation"/>. Stripe comes from
    /// <see cref="BillingServices.AddBilling"/> (or <see cref="StripeClients.AddStripe"/>), called once: each
    /// call registers the Stripe__* validation again. The host provides NpgsqlDataSource and TimeProvider.
    /// </summary>
    public static IServiceCollection AddOverageReconciliation(this IServiceCollection services)
    {
        services.TryAddSingleton<MeterEventSender>();
        services.TryAddSingleton<OverageReconciliation>();
        return services;
    }
}
