using System.Text.Json.Nodes;

namespace TenantQuota.LocalStripe.Wire;

/// <summary>
/// Idempotency-Key on v1 POSTs (NOTES.md §4). The first request with a key runs; its answer, whatever its
/// status, is stored once it has started executing and replayed to every later request with the same key
/// and the same parameters. The same key with other parameters, or on another endpoint → 400
/// idempotency_error; while the first is still running → 409. Keys are kept 24 hours.
/// What is not stored (as at Stripe): requests refused before they execute (injected faults, 401,
/// parameter validation).
/// </summary>
internal sealed class IdempotencyStore(TimeProvider clock)
{
    private static readonly TimeSpan Retention = TimeSpan.FromHours(24);
    /// <summary>Beyond this many keys the oldest go first, even inside 24 hours (memory, in a long demo).</summary>
    private const int Capacity = 100_000;
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly Queue<(string Key, Entry Entry)> _byAge = new();
    private readonly Lock _gate = new();

    private sealed class Entry(string endpoint, string fingerprint, DateTimeOffset at, string requestId)
    {
        public string Endpoint { get; } = endpoint;
        public string Fingerprint { get; } = fingerprint;
        public DateTimeOffset At { get; } = at;
        public string RequestId { get; } = requestId;
        /// <summary>The stored answer, as text: every replay parses its own copy (JSON nodes are not shared across threads).</summary>
        public (int Status, string Json, IReadOnlyDictionary<string, string>? Headers)? Reply { get; set; }
    }

    public abstract record Outcome;
    public sealed record Run : Outcome;
    public sealed record Replay(StripeReply Reply, string OriginalRequestId) : Outcome;
    public sealed record Refuse(StripeError Error) : Outcome;

    public Outcome Begin(string key, string endpoint, string fingerprint, string requestId)
    {
        lock (_gate)
        {
            var now = clock.GetUtcNow();
            Prune(now);
            if (!_entries.TryGetValue(key, out var entry))
            {
                entry = new Entry(endpoint, fingerprint, now, requestId);
                _entries[key] = entry;
                _byAge.Enqueue((key, entry));
                return new Run();
            }
            if (entry.Endpoint != endpoint)
                return new Refuse(new StripeError(400, "idempotency_error",
                    $"Keys for idempotent requests can only be used for the same endpoint they were first used for ('{entry.Endpoint}' vs '{endpoint}'). Try using a key other than '{key}' if you meant to execute a different request."));
            if (entry.Fingerprint != fingerprint)
                return new Refuse(new StripeError(400, "idempotency_error",
                    $"Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '{key}' if you meant to execute a different request."));
            if (entry.Reply is null)
            {
                var conflict = new StripeError(409, "invalid_request_error",
                    "There is currently another in-progress request using this Idempotent Key (that probably means you submitted twice, and that's fine). Please try again later.",
                    code: "idempotency_key_in_use");
                return new Refuse(conflict);
            }
            var (status, json, headers) = entry.Reply.Value;
            return new Replay(new StripeReply(status, JsonNode.Parse(json)!, headers), entry.RequestId);
        }
    }

    public void Complete(string key, StripeReply reply)
    {
        var json = reply.Body.ToJsonString(StripeJson.Options);
        lock (_gate)
            if (_entries.TryGetValue(key, out var entry)) entry.Reply = (reply.Status, json, reply.Headers);
    }

    private void Prune(DateTimeOffset now)
    {
        while (_byAge.TryPeek(out var oldest) && (now - oldest.Entry.At >= Retention || _byAge.Count > Capacity))
        {
            _byAge.Dequeue();
            if (_entries.TryGetValue(oldest.Key, out var current) && ReferenceEquals(current, oldest.Entry)) _entries.Remove(oldest.Key);
        }
    }

    /// <summary>The parameters as compared between a key's requests: every decoded pair, order-independent.</summary>
    public static string Fingerprint(IEnumerable<KeyValuePair<string, string>> pairs) =>
        string.Join('\n', pairs.Select(p => $"{p.Key}={p.Value}").Order(StringComparer.Ordinal));

    public void Clear()
    {
        lock (_gate)
        {
            _entries.Clear();
            _byAge.Clear();
        }
    }
}
