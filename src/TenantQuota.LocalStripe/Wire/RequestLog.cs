namespace TenantQuota.LocalStripe.Wire;

/// <summary>One v1 request as LocalStripe saw it (GET /_requests).</summary>
internal sealed class LoggedRequest
{
    public required string RequestId { get; init; }
    public required DateTimeOffset At { get; init; }
    public required string Method { get; init; }
    public required string Path { get; init; }
    public string? IdempotencyKey { get; init; }
    public string? StripeVersion { get; init; }
    /// <summary>"basic", "bearer" or "none": how the API key came.</summary>
    public required string Auth { get; init; }
    /// <summary>The decoded form or query pairs, in the order received (<c>line_items[0][price]</c> → <c>price_…</c>).</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Params { get; set; } = [];
    /// <summary>The answer's status; 0 while running or when the connection was dropped on purpose.</summary>
    public int Status { get; set; }
    /// <summary>"fault" (injected), "replay" (an idempotent replay), "aborted" (connection dropped), or null.</summary>
    public string? Note { get; set; }
    public string? ErrorType { get; set; }
}

/// <summary>The last 10,000 v1 requests.</summary>
internal sealed class RequestLog
{
    private const int Capacity = 10_000;
    private readonly LinkedList<LoggedRequest> _entries = new();
    private readonly Lock _gate = new();

    public void Add(LoggedRequest entry)
    {
        lock (_gate)
        {
            _entries.AddLast(entry);
            if (_entries.Count > Capacity) _entries.RemoveFirst();
        }
    }

    public IReadOnlyList<LoggedRequest> Snapshot()
    {
        lock (_gate) return _entries.ToList();
    }

    public void Clear()
    {
        lock (_gate) _entries.Clear();
    }
}
