using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace TenantQuota.Billing.MeterEvents;

public static class MeterEventServices
{
    /// <summary>Stripe (<see cref="StripeClients.AddStripe"/>) and the <see cref="MeterEventSender"/>.</summary>
    public static IServiceCollection AddMeterEvents(this IServiceCollection services)
    {
        services.AddStripe();
        services.TryAddSingleton<MeterEventSender>();
        return services;
    }
}
