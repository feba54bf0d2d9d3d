using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using TenantQuota.Billing.Catalog;
using TenantQuota.Billing.Customers;
using TenantQuota.Billing.Subscriptions;
using TenantQuota.Billing.Webhooks;

namespace TenantQuota.Billing;

public static class BillingServices
{
    /// <summary>
    /// Stripe (<see cref="StripeClients.AddStripe"/>), Billing__* settings (checked against the matrix at
    /// start when billing is enabled), the catalogue sync, customers, and subscription state from
    /// webhooks. The host provides NpgsqlDataSource, TenantQuotaDb, TenantDirectory, QuotaMatrix and
    /// TimeProvider, as the API and the worker both do.
    /// </summary>
    public static IServiceCollection AddBilling(this IServiceCollection services)
    {
        services.AddStripe();
        services.AddOptions<BillingSettings>().BindConfiguration("Billing").ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<BillingSettings>, BillingSettings.Validator>());
        services.AddScoped<CatalogSync>();
        services.AddScoped<BillingCustomers>();
        services.AddScoped<BillingSubscriptions>();
        services.AddScoped<StripeWebhooks>();
        return services;
    }
}
