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
/// circuit or starts another break. A probe whose caller gave up says so (<see cref="Abandoned"/>): soon, and the next call
/// probes; after <c>slowProbe</c> without an answer, and it counts as failed. One that never reports at all is replaced
/// after another break.
/// </summary>
public sealed class CircuitBreaker(int failuresToOpen, TimeSpan breakFor, TimeProvider clock, TimeSpan slowProbe)
{
    private readonly Lock _gate = new();
    private int _failures;
    private DateTimeOffset _openedAt;
    private DateTimeOffset _probeStartedAt;
    private long _probe; // the current probe's ticket; tickets are never 0, which means "not a probe"

    public CircuitState State { get; private set; } = CircuitState.Closed;

    /// <summary>How long an open circuit stays open before a probe.</summary>
    public TimeSpan BreakDuration => breakFor;

    /// <summary>Whether a call may go out now; when the break is over, the caller that asks first becomes the probe.</summary>
    public bool TryEnter() => TryEnter(out _);

    /// <param name="probe">The probe's ticket when this call is the probe, else 0: what <see cref="Abandoned"/> needs.</param>
    public bool TryEnter(out long probe)
    {
        probe = 0;
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
                    probe = ++_probe;
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
    /// A try ended without an answer because its caller cancelled it. Only the current probe matters (any other call, or a
    /// probe already replaced, changes nothing). Given up on soon, it says nothing of TenantQuota's health and its slot goes
    /// to the next call at once (rather than every caller being refused for another break); unanswered for
    /// <c>slowProbe</c> or more, it is what a hung service looks like and counts as a failed probe (another break), so
    /// callers with short deadlines do not queue up behind one probe after another.
    /// </summary>
    public void Abandoned(long probe)
    {
        lock (_gate)
        {
            if (probe == 0 || probe != _probe || State != CircuitState.HalfOpen) return;
            var now = clock.GetUtcNow();
            if (now - _probeStartedAt >= slowProbe)
            {
                _failures++;
                State = CircuitState.Open;
                _openedAt = now;
            }
            else _probeStartedAt = DateTimeOffset.MinValue;
        }
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
