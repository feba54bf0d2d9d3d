using System.Diagnostics.CodeAnalysis;
using System.Text.Json;

namespace TenantQuota.Billing.Webhooks;

/// <summary>
/// The parts of a Stripe event we rely on, read from the raw JSON rather than through Stripe.net's typed
/// model: the envelope (id, type, created, api_version) and the fields of data.object that have kept
/// their meaning across API versions (ids, status, metadata, customer, items' prices). An event of
/// another API version is read the same way (docs/decisions/0009).
/// </summary>
public sealed record StripeEventEnvelope(string Id, string Type, string? ApiVersion, DateTimeOffset Created, JsonElement Object)
{
    public static bool TryParse(string json, [NotNullWhen(true)] out StripeEventEnvelope? envelope, [NotNullWhen(false)] out string? error)
    {
        envelope = null;
        JsonElement root;
        try
        {
            using var document = JsonDocument.Parse(json);
            root = document.RootElement.Clone();
        }
        catch (JsonException)
        {
            error = "The body is not JSON.";
            return false;
        }
        if (root.ValueKind != JsonValueKind.Object) { error = "The body is not a JSON object."; return false; }
        if (Text(root, "id") is not { Length: > 0 and <= 255 } id) { error = "The event has no id."; return false; }
        if (Text(root, "type") is not { Length: > 0 and <= 255 } type) { error = "The event has no type."; return false; }
        if (!root.TryGetProperty("created", out var created) || created.ValueKind != JsonValueKind.Number || !created.TryGetInt64(out var seconds)
            || seconds is < 0 or > 253402300799)
        {
            error = "The event has no created time (Unix seconds).";
            return false;
        }
        if (!root.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Object
            || !data.TryGetProperty("object", out var dataObject) || dataObject.ValueKind != JsonValueKind.Object)
        {
            error = "The event has no data.object.";
            return false;
        }
        envelope = new StripeEventEnvelope(id, type, Text(root, "api_version"), DateTimeOffset.FromUnixTimeSeconds(seconds), dataObject);
        error = null;
        return true;
    }

    /// <summary>A string property, or null when it is missing or not a string.</summary>
    public static string? Text(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    /// <summary>An id that Stripe sends either as a string or, expanded, as an object with an id.</summary>
    public static string? IdOf(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value)
            ? value.ValueKind switch
            {
                JsonValueKind.String => value.GetString(),
                JsonValueKind.Object => Text(value, "id"),
                _ => null,
            }
            : null;

    public static JsonElement? Child(JsonElement element, params string[] path)
    {
        foreach (var name in path)
        {
            if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty(name, out element)) return null;
        }
        return element;
    }

    /// <summary>A metadata value (Stripe metadata values are strings).</summary>
    public static string? Metadata(JsonElement element, string key) =>
        Child(element, "metadata") is { } metadata ? Text(metadata, key) : null;
}
