using System.Text.Json.Nodes;

namespace TenantQuota.LocalStripe.Wire;

/// <summary>What a resource handler gets: the validated parameters, the store (its lock is held) and the clock.</summary>
internal sealed class StripeCall
{
    public required HttpContext Http { get; init; }
    public required FormMap Params { get; init; }
    public required StripeStore Store { get; init; }
    public required LocalStripeSettings Settings { get; init; }
    public required DateTimeOffset Now { get; init; }
    /// <summary>The API request's id and key, for the events it causes; null for hosted-page actions (a browser, not the API).</summary>
    public string? RequestId { get; init; }
    public string? IdempotencyKey { get; init; }

    public long Unix => Now.ToUnixTimeSeconds();

    public string Route(string name) => (string)Http.Request.RouteValues[name]!;

    /// <summary>The base of hosted-page URLs: LocalStripe:PublicUrl, else the address this request came to.</summary>
    public string PublicBase => Settings.PublicUrl is { Length: > 0 } url
        ? url.TrimEnd('/')
        : $"{Http.Request.Scheme}://{Http.Request.Host}";

    /// <summary>Events this call causes, delivered after it completes (in this order).</summary>
    public List<(string Type, JsonObject Object, JsonObject? Previous)> Emitted { get; } = [];

    /// <summary>Records an event about <paramref name="item"/> as it is now (a snapshot).</summary>
    public void Emit(string type, JsonObject item, JsonObject? previousAttributes = null) =>
        Emitted.Add((type, item.DeepClone().AsObject(), previousAttributes));
}

internal delegate StripeReply StripeHandler(StripeCall call);

/// <summary>An answer: status, JSON body, extra headers. Stored as-is under an Idempotency-Key.</summary>
internal sealed record StripeReply(int Status, JsonNode Body, IReadOnlyDictionary<string, string>? Headers = null)
{
    public static StripeReply Ok(JsonNode body) => new(200, body);

    public static StripeReply From(StripeError error) => new(error.Status, error.ToJson(), error.Headers.Count > 0 ? error.Headers : null);
}
