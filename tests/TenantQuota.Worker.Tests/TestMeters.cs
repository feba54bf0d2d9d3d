using Stripe;
using Stripe.Billing;
using TenantQuota.Testing;

namespace TenantQuota.Worker.Tests;

/// <summary>What the catalogue sync does for one overage class, for a test's own LocalStripe and database: a meter, recorded in stripe_catalog.</summary>
public static class TestMeters
{
    /// <returns>The meter's event name (unique per call, so runs never share a meter).</returns>
    public static async Task<string> CreateAsync(IStripeClient stripe, OwnDatabase database, string operationClass)
    {
        var eventName = $"tq_{operationClass}_{Guid.NewGuid():N}"[..40];
        var meter = await new MeterService(stripe).CreateAsync(new MeterCreateOptions
        {
            DisplayName = $"Overage {operationClass}",
            EventName = eventName,
            DefaultAggregation = new MeterDefaultAggregationOptions { Formula = "sum" },
            CustomerMapping = new MeterCustomerMappingOptions { Type = "by_id", EventPayloadKey = "stripe_customer_id" },
            ValueSettings = new MeterValueSettingsOptions { EventPayloadKey = "value" },
        });
        await database.ExecuteAsync(
            "INSERT INTO stripe_catalog (kind, key, stripe_id, event_name, updated_at) VALUES ('meter', $1, $2, $3, now())",
            operationClass, meter.Id, eventName);
        return eventName;
    }
}
