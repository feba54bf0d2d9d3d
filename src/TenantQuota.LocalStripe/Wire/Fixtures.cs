using System.Text.Json.Nodes;

namespace TenantQuota.LocalStripe.Wire;

/// <summary>
/// Stripe's own sample objects (Spec/stripe-fixtures-subset.json) as templates: every answer starts as
/// a copy of the sample, so it has every field Stripe's has; the resource files then set what they model
/// and null the sample's placeholder values (discounts, payment intents, …) that would mislead.
/// </summary>
internal static class Fixtures
{
    // Kept as text and parsed per use: a parsed JsonObject fills itself lazily, which is not safe to share across threads.
    private static readonly Dictionary<string, string> Samples = Embedded.Json("stripe-fixtures-subset.json")
        .Where(f => f.Key != "_meta")
        .ToDictionary(f => f.Key, f => f.Value!.ToJsonString());

    public static JsonObject Template(string objectType) => Samples.TryGetValue(objectType, out var json)
        ? JsonNode.Parse(json)!.AsObject()
        : throw new InvalidOperationException($"No fixture for '{objectType}'.");
}
