namespace TenantQuota.LocalStripe.Wire;

/// <summary>
/// Faults injected through POST /_faults, consumed by matching v1 requests in order of creation.
/// </summary>
/// <param name="PathPrefix">Matches requests whose path starts with it, e.g. /v1/billing/meter_events.</param>
/// <param name="Method">Only this method, if given.</param>
/// <param name="Status">Answer this status (429, 500, 503, …) with a Stripe error body instead of handling the request: nothing runs, nothing is stored under its Idempotency-Key.</param>
/// <param name="Count">How many matching requests it affects.</param>
/// <param name="DelayMs">Wait this long before answering. Without <paramref name="Status"/> the request is handled first and its Idempotency-Key stays in flight during the wait: a client that times out and retries with the same key gets 409, then the replay.</param>
/// <param name="ShouldRetryHeader">Adds Stripe-Should-Retry: true or false.</param>
/// <param name="Abort">Handle the request, then drop the connection without an answer (the answer is lost; a retry with the same key gets the replay).</param>
/// <param name="Code">The error's code (default by status: rate_limit for 429, lock_timeout when ShouldRetryHeader is true).</param>
/// <param name="Stored">With a 5xx <paramref name="Status"/>: the endpoint failed after it began, as Stripe's can. The request passes
/// authentication, validation and the Idempotency-Key layer, does nothing, and the error is stored under its key: a same-key
/// retry gets the error replayed for as long as keys are kept (Stripe: 24 h), not a new attempt.</param>
internal sealed record Fault(string PathPrefix, string? Method = null, int? Status = null, int Count = 1, int DelayMs = 0,
    bool? ShouldRetryHeader = null, bool Abort = false, string? Code = null, string? Message = null, bool Stored = false)
{
    public int Remaining { get; set; } = Count;

    public StripeError ToError()
    {
        var status = Status!.Value;
        var (type, code, message) = status switch
        {
            429 when ShouldRetryHeader == true => ("invalid_request_error", "lock_timeout", "This object cannot be accessed right now because another API request or Stripe process is currently accessing it. (injected by LocalStripe)"),
            429 => ("invalid_request_error", "rate_limit", "Request rate limit exceeded. (injected by LocalStripe)"),
            409 => ("invalid_request_error", "lock_timeout", "Conflict. (injected by LocalStripe)"),
            >= 500 => ("api_error", null, "An unexpected error occurred. (injected by LocalStripe)"),
            _ => ("invalid_request_error", null, "Injected by LocalStripe."),
        };
        var error = new StripeError(status, type, Message ?? message, code: Code ?? code);
        if (ShouldRetryHeader is { } retry) error.Headers["Stripe-Should-Retry"] = retry ? "true" : "false";
        return error;
    }
}

internal sealed class FaultInjector
{
    private readonly List<Fault> _faults = [];
    private readonly Lock _gate = new();

    public Fault Add(Fault fault)
    {
        if (fault.PathPrefix is null || !fault.PathPrefix.StartsWith('/')) throw new ArgumentException("pathPrefix must start with '/', e.g. /v1/billing/meter_events.");
        if (fault.Status is { } status && status is < 400 or > 599) throw new ArgumentException("status must be an error status (400–599).");
        if (fault.Count < 1 || fault.DelayMs < 0) throw new ArgumentException("count must be ≥ 1 and delayMs ≥ 0.");
        if (fault.Status is null && fault.DelayMs == 0 && !fault.Abort) throw new ArgumentException("Give status, delayMs or abort.");
        if (fault.Stored && fault.Status is not >= 500) throw new ArgumentException("stored needs a 5xx status: Stripe stores an answer only once the endpoint began.");
        lock (_gate) _faults.Add(fault);
        return fault;
    }

    /// <summary>The first matching fault, used up by one.</summary>
    public Fault? Take(string method, string path)
    {
        lock (_gate)
        {
            var fault = _faults.FirstOrDefault(f => path.StartsWith(f.PathPrefix, StringComparison.Ordinal)
                && (f.Method is null || string.Equals(f.Method, method, StringComparison.OrdinalIgnoreCase)));
            if (fault is null) return null;
            if (--fault.Remaining == 0) _faults.Remove(fault);
            return fault;
        }
    }

    public IReadOnlyList<Fault> Pending()
    {
        lock (_gate) return _faults.ToList();
    }

    public void Clear()
    {
        lock (_gate) _faults.Clear();
    }
}
