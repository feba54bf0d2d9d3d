using System.Text.Json.Nodes;

namespace TenantQuota.LocalStripe;

/// <summary>
/// Everything LocalStripe holds, in memory: it stands in for an external service, not for our database,
/// so a restart starts empty (as a fresh Stripe test account would). Thread safety is one lock,
/// <see cref="Gate"/>: every request handler and hosted-page action runs inside it, whole. Simple, and
/// plenty fast for a demo and tests. Objects are kept as the JSON Stripe would answer.
/// </summary>
internal sealed class StripeStore
{
    private readonly Dictionary<string, JsonObject> _byId = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<JsonObject>> _byType = new(StringComparer.Ordinal);

    public Lock Gate { get; } = new();

    /// <summary>Accepted meter events, oldest first, and by identifier (for the dedupe window).</summary>
    public List<MeterEventRecord> MeterEvents { get; } = [];
    public Dictionary<string, MeterEventRecord> MeterEventsByIdentifier { get; } = new(StringComparer.Ordinal);

    /// <summary>What a checkout session needs at payment that is not part of its JSON (line items, subscription_data).</summary>
    public Dictionary<string, CheckoutDraft> CheckoutDrafts { get; } = new(StringComparer.Ordinal);

    /// <summary>The account's one customer-portal configuration (bpc_…), made on first use.</summary>
    public string? PortalConfigurationId { get; set; }

    public JsonObject Add(JsonObject item)
    {
        var id = (string)item["id"]!;
        var type = (string)item["object"]!;
        _byId.Add(id, item);
        (_byType.TryGetValue(type, out var list) ? list : _byType[type] = []).Add(item);
        return item;
    }

    public bool Contains(string id) => _byId.ContainsKey(id);

    /// <summary>The stored object (live: mutate it inside the lock), or null. <paramref name="type"/> is its <c>object</c> field.</summary>
    public JsonObject? Find(string type, string? id) =>
        id is not null && _byId.TryGetValue(id, out var item) && (string?)item["object"] == type ? item : null;

    public JsonObject? FindAny(string id) => _byId.GetValueOrDefault(id);

    /// <summary>All objects of a type, newest first (Stripe's list order, NOTES.md §6).</summary>
    public IEnumerable<JsonObject> Newest(string type) =>
        _byType.TryGetValue(type, out var list) ? Enumerable.Reverse(list) : [];

    public void Clear()
    {
        _byId.Clear();
        _byType.Clear();
        MeterEvents.Clear();
        MeterEventsByIdentifier.Clear();
        CheckoutDrafts.Clear();
        PortalConfigurationId = null;
    }
}

internal sealed record MeterEventRecord(
    string Identifier, string EventName, IReadOnlyDictionary<string, string> Payload, long Timestamp,
    DateTimeOffset ReceivedAt, string RequestId, JsonObject Json)
{
    /// <summary>Later events with the same identifier inside the dedupe window: answered 400, not counted.</summary>
    public int DuplicatesSeen { get; set; }
}

internal sealed record CheckoutDraft(IReadOnlyList<(string PriceId, long? Quantity)> LineItems, JsonArray LineItemsJson,
    Dictionary<string, string> SubscriptionMetadata, string? SubscriptionDescription, long? TrialPeriodDays);
