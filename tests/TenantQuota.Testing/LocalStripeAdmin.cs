using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace TenantQuota.Testing;

/// <summary>LocalStripe's admin endpoints (/_…), for what a test asks of "Stripe" beyond its API.</summary>
public static class LocalStripeAdmin
{
    /// <summary>The meter events LocalStripe accepted for one identifier (GET /_meter_events).</summary>
    public static async Task<List<JsonObject>> AcceptedMeterEventsAsync(this HttpClient admin, long usageRecordId)
    {
        var all = await admin.GetFromJsonAsync<JsonObject>("/_meter_events");
        return all!["events"]!.AsArray().Select(e => e!.AsObject()).Where(e => (string?)e["identifier"] == Identifier(usageRecordId)).ToList();
    }

    /// <summary>Every meter-event request LocalStripe received for one identifier (GET /_requests), retries and faults included.</summary>
    public static async Task<List<JsonObject>> MeterEventRequestsAsync(this HttpClient admin, long usageRecordId)
    {
        var all = await admin.GetFromJsonAsync<JsonArray>("/_requests?path=/v1/billing/meter_events");
        return all!.Select(r => r!.AsObject()).Where(r => (string?)r["params"]?["identifier"] == Identifier(usageRecordId)).ToList();
    }

    /// <summary>Makes LocalStripe answer the next <paramref name="count"/> meter-event requests with <paramref name="status"/> (POST /_faults).</summary>
    public static async Task InjectMeterEventFaultAsync(this HttpClient admin, int status, int count)
    {
        var response = await admin.PostAsJsonAsync("/_faults", new { pathPrefix = "/v1/billing/meter_events", method = "POST", status, count });
        response.EnsureSuccessStatusCode();
    }

    private static string Identifier(long usageRecordId) => usageRecordId.ToString(CultureInfo.InvariantCulture);
}
