using System.Text.Json.Nodes;
using TenantQuota.LocalStripe.Wire;

namespace TenantQuota.LocalStripe.Webhooks;

/// <summary>
/// The event envelope (NOTES.md §8): <c>{id, object: "event", api_version, created, data: {object,
/// previous_attributes?}, livemode: false, pending_webhooks, request: {id, idempotency_key}, type}</c>,
/// from Stripe's sample event.
/// </summary>
internal static class StripeEvents
{
    public static JsonObject Create(string type, JsonObject item, JsonObject? previousAttributes, long created,
        string apiVersion, int pendingWebhooks, string? requestId, string? idempotencyKey)
    {
        var data = new JsonObject { ["object"] = item };
        if (previousAttributes is not null) data["previous_attributes"] = previousAttributes;

        var evt = Fixtures.Template("event");
        evt["id"] = Ids.New("evt");
        evt["object"] = "event";
        evt["api_version"] = apiVersion;
        evt["created"] = created;
        evt["data"] = data;
        evt["livemode"] = false;
        evt["pending_webhooks"] = pendingWebhooks;
        evt["request"] = new JsonObject { ["id"] = requestId, ["idempotency_key"] = idempotencyKey };
        evt["type"] = type;
        return evt;
    }
}
