namespace TenantQuota.Client;

public enum CircuitState
{
    /// <summary>Calls go through; consecutive failures are counted.</summary>
    Closed,

    /// <summary>Calls fail at once, without touching the network, until the break is over.</summary>
    Open,

    /// <summary>The break is over and one call is probing; the others still fail at once.</summary>
    HalfOpen,
}

/// <summary>
/// Stops calling TenantQuota after <c>failuresToOpen</c> failed tries in a row, so an outage costs callers nothing but the
/// failure policy's answer instead of a timeout each; after <c>breakFor</c> one call probes, and its result closes the
/// circuit or starts another break. A probe whose caller gave up says so (<see cref="Abandoned"/>) and the next call probes;
/// one that never reports at all is replaced after another break.
/// </summary>
public sealed class CircuitBreaker(int failuresToOpen, TimeSpan breakFor, TimeProvider clock)
{
    private readonly Lock _gate = new();
    private int _failures;
    private DateTimeOffset _openedAt;
    private DateTimeOffset _probeStartedAt;

    public CircuitState State { get; private set; } = CircuitState.Closed;

    /// <summary>How long an open circuit stays open before a probe.</summary>
    public TimeSpan BreakDuration => breakFor;

    /// <summary>Whether a call may go out now; when the break is over, the caller that asks first becomes the probe.</summary>
    public bool TryEnter()
    {
        lock (_gate)
        {
            var now = clock.GetUtcNow();
            switch (State)
            {
                case CircuitState.Closed:
                    return true;
                case CircuitState.Open when now >= _openedAt + breakFor:
                case CircuitState.HalfOpen when now >= _probeStartedAt + breakFor:
                    State = CircuitState.HalfOpen;
                    _probeStartedAt = now;
                    return true;
                default:
                    return false;
            }
        }
    }

    /// <summary>TenantQuota answered (2xx, or 429: it is there and pacing us).</summary>
    public void Succeeded()
    {
        lock (_gate)
        {
            _failures = 0;
            State = CircuitState.Closed;
        }
    }

    /// <summary>
    /// A try ended without an answer because its caller cancelled it: no news of TenantQuota's health, so no count either way,
    /// but a probe's slot is freed at once for the next call (otherwise every caller would be refused until another break
    /// had passed). A cancelled older call may free it while a probe is out; at most one more probe goes out then.
    /// </summary>
    public void Abandoned()
    {
        lock (_gate)
            if (State == CircuitState.HalfOpen) _probeStartedAt = DateTimeOffset.MinValue;
    }

    /// <summary>A try failed: no connection, a timeout, or a 5xx.</summary>
    public void Failed()
    {
        lock (_gate)
        {
            _failures++;
            // A late failure of a try sent before the circuit opened does not lengthen the break.
            if (State == CircuitState.HalfOpen || State == CircuitState.Closed && _failures >= failuresToOpen)
            {
                State = CircuitState.Open;
                _openedAt = clock.GetUtcNow();
            }
        }
    }
}
