using TenantQuota.Testing;

namespace TenantQuota.Client.Tests;

public sealed class CircuitBreakerTests
{
    private readonly SettableClock _clock = new();
    private readonly CircuitBreaker _breaker;

    public CircuitBreakerTests() => _breaker = new CircuitBreaker(failuresToOpen: 3, breakFor: TimeSpan.FromSeconds(10), _clock, slowProbe: TimeSpan.FromSeconds(1));

    private void Fail(int times)
    {
        for (var i = 0; i < times; i++)
        {
            Assert.True(_breaker.TryEnter());
            _breaker.Failed();
        }
    }

    [Fact]
    public void Opens_after_the_configured_failures_in_a_row_and_a_success_between_them_starts_the_count_again()
    {
        Fail(2);
        _breaker.Succeeded();
        Fail(2);
        var stillClosed = _breaker.State;
        Fail(1);

        Assert.Equal(CircuitState.Closed, stillClosed);
        Assert.Equal(CircuitState.Open, _breaker.State);
        Assert.False(_breaker.TryEnter());
    }

    [Fact]
    public void After_the_break_one_caller_probes_and_its_success_closes_the_circuit()
    {
        Fail(3);
        _clock.Advance(TimeSpan.FromSeconds(9));
        var beforeBreakEnds = _breaker.TryEnter();
        _clock.Advance(TimeSpan.FromSeconds(1));

        var probe = _breaker.TryEnter();
        var second = _breaker.TryEnter();
        _breaker.Succeeded();

        Assert.Equal((false, true, false), (beforeBreakEnds, probe, second));
        Assert.Equal(CircuitState.Closed, _breaker.State);
        Assert.True(_breaker.TryEnter());
    }

    [Fact]
    public void A_failed_probe_starts_another_whole_break()
    {
        Fail(3);
        _clock.Advance(TimeSpan.FromSeconds(10));
        Assert.True(_breaker.TryEnter());
        _breaker.Failed();

        _clock.Advance(TimeSpan.FromSeconds(9));
        var during = _breaker.TryEnter();
        _clock.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal(CircuitState.Open, _breaker.State);
        Assert.False(during);
        Assert.True(_breaker.TryEnter());
    }

    [Fact]
    public void A_probe_that_never_reports_is_replaced_after_another_break()
    {
        Fail(3);
        _clock.Advance(TimeSpan.FromSeconds(10));
        Assert.True(_breaker.TryEnter()); // its caller gave up and reports nothing

        _clock.Advance(TimeSpan.FromSeconds(5));
        var tooSoon = _breaker.TryEnter();
        _clock.Advance(TimeSpan.FromSeconds(5));

        Assert.False(tooSoon);
        Assert.Equal(CircuitState.HalfOpen, _breaker.State);
        Assert.True(_breaker.TryEnter());
    }

    [Fact]
    public void A_probe_whose_caller_gave_up_soon_frees_its_slot_for_the_next_call_without_counting()
    {
        Fail(3);
        _clock.Advance(TimeSpan.FromSeconds(10));
        Assert.True(_breaker.TryEnter(out var probe));
        var othersWhileProbing = _breaker.TryEnter();
        _clock.Advance(TimeSpan.FromMilliseconds(999));

        _breaker.Abandoned(probe);

        Assert.False(othersWhileProbing);
        Assert.Equal(CircuitState.HalfOpen, _breaker.State);
        Assert.True(_breaker.TryEnter());
        Assert.False(_breaker.TryEnter());
        _breaker.Succeeded();
        Assert.Equal(CircuitState.Closed, _breaker.State);
    }

    [Fact]
    public void A_probe_given_up_after_the_service_should_have_answered_counts_as_failed()
    {
        Fail(3);
        _clock.Advance(TimeSpan.FromSeconds(10));
        Assert.True(_breaker.TryEnter(out var probe));
        _clock.Advance(TimeSpan.FromSeconds(1));

        _breaker.Abandoned(probe);

        Assert.Equal(CircuitState.Open, _breaker.State);
        Assert.False(_breaker.TryEnter());
        _clock.Advance(TimeSpan.FromSeconds(10));
        Assert.True(_breaker.TryEnter());
    }

    [Fact]
    public void Only_the_current_probe_frees_the_slot_and_other_calls_given_up_change_nothing()
    {
        Fail(2);
        Assert.True(_breaker.TryEnter(out var sentWhileClosed));
        Fail(1);
        _clock.Advance(TimeSpan.FromSeconds(10));
        Assert.True(_breaker.TryEnter(out var stale)); // never reports; replaced after another break
        _clock.Advance(TimeSpan.FromSeconds(10));
        Assert.True(_breaker.TryEnter(out var current));

        _breaker.Abandoned(sentWhileClosed);
        _breaker.Abandoned(stale);

        Assert.Equal(0, sentWhileClosed);
        Assert.NotEqual(stale, current);
        Assert.Equal(CircuitState.HalfOpen, _breaker.State);
        Assert.False(_breaker.TryEnter()); // the current probe still holds the slot
    }
}
