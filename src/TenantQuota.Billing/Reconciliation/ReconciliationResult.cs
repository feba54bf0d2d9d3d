namespace TenantQuota.Billing.Reconciliation;

/// <summary>What to reconcile: the last <paramref name="Days"/> UTC days, today included, up to <paramref name="SettleTime"/> ago.</summary>
/// <param name="Days">1 to <see cref="MaxDays"/>: Stripe takes meter events up to 35 days old, so older usage cannot be re-sent.</param>
/// <param name="SettleTime">
/// Usage newer than this is left to the pipeline, which is still sending it, and to Stripe's event
/// summaries, which are eventually consistent; the next run checks it.
/// </param>
public sealed record ReconciliationWindow(int Days, TimeSpan SettleTime)
{
    public const int MaxDays = 35;

    public static readonly ReconciliationWindow Default = new(3, TimeSpan.FromMinutes(15));

    /// <summary>What is wrong with the window, naming <paramref name="daysSetting"/>; null when it is fine.</summary>
    public string? Problem(string daysSetting) =>
        Days is < 1 or > MaxDays ? $"{daysSetting} must be 1 to {MaxDays} (Stripe takes meter events up to 35 days old); it is {Days}."
        : SettleTime < TimeSpan.Zero || SettleTime > TimeSpan.FromDays(1) ? $"The settle time must be 0 to a day; it is {SettleTime}."
        : null;
}

public enum DayOutcome
{
    /// <summary>Stripe's total is ours.</summary>
    Matches,
    /// <summary>Stripe lacked some of our usage; what it lacked was re-sent and its total is ours now.</summary>
    Healed,
    /// <summary>Stripe still has less than we billed after the re-sends (see <see cref="DayReconciliation.NotSent"/> and <see cref="DayReconciliation.RecordedAsSent"/>).</summary>
    Missing,
    /// <summary>Stripe has more than we billed: reported, never "fixed" (a person decides).</summary>
    Excess,
}

/// <summary>One customer's usage of one meter on one UTC day, ours against Stripe's.</summary>
/// <param name="Ours">The overage we recorded (billing_outbox): every unit Stripe should have.</param>
/// <param name="StripeBefore">Stripe's event summary before anything was re-sent.</param>
/// <param name="StripeAfter">Stripe's event summary after the re-sends (read again; equal to before when nothing was sent).</param>
/// <param name="Resent">
/// Usage records sent again and accepted by Stripe: new to it, or (for one it confirmed within the last
/// 24 hours) a replay of that answer, which counts nothing twice; <paramref name="StripeAfter"/> says which.
/// </param>
/// <param name="AlreadyAtStripe">Usage records Stripe turned out to have: it refused them as a duplicate identifier, or the pipeline sent them meanwhile.</param>
/// <param name="NotSent">Usage records Stripe refused for another reason, or could not take now (logged with Stripe's error); the next run tries again.</param>
/// <param name="RecordedAsSent">
/// On a day Stripe is still short: usage records Stripe confirmed more than <see cref="OverageReconciliation.DedupeHorizon"/>
/// ago. Stripe deduplicates an identifier for only about 24 hours, so sending them again could bill
/// them twice; left for a person (Stripe's meter error reports say why it dropped them).
/// </param>
public sealed record DayReconciliation(
    string TenantId, string OperationClass, string StripeCustomerId, string MeterId, DateOnly Day,
    long Ours, decimal StripeBefore, decimal StripeAfter,
    IReadOnlyList<long> Resent, IReadOnlyList<long> AlreadyAtStripe, IReadOnlyList<long> NotSent, IReadOnlyList<long> RecordedAsSent,
    DayOutcome Outcome)
{
    /// <summary>Ours minus Stripe's now: above 0 Stripe lacks usage, below 0 it has usage we did not bill.</summary>
    public decimal Drift => Ours - StripeAfter;
}

/// <summary>
/// Overage older than the window that was never sent to Stripe (no billing_meter_events row, not held).
/// <paramref name="Recoverable"/>: still within Stripe's 35 days, so a run with more days can send it;
/// otherwise Stripe no longer takes it.
/// </summary>
public sealed record UnsentOverage(string TenantId, string OperationClass, int Records, long Quantity, DateTimeOffset Oldest, bool Recoverable);

/// <summary>One reconciliation run.</summary>
/// <param name="From">The window's start (00:00 UTC of its first day).</param>
/// <param name="To">The window's end: the run's time less the settle time, whole minutes.</param>
/// <param name="Days">Every customer, meter and day compared, drift or not.</param>
/// <param name="OutsideWindow">Unsent overage older than the window.</param>
/// <param name="NotComparable">Usage records in the window whose tenant has no Stripe customer or whose class has no meter yet (held: sent once both exist).</param>
public sealed record ReconciliationResult(
    DateTimeOffset From, DateTimeOffset To, IReadOnlyList<DayReconciliation> Days, IReadOnlyList<UnsentOverage> OutsideWindow, int NotComparable)
{
    public IEnumerable<DayReconciliation> Drifted => Days.Where(d => d.Outcome != DayOutcome.Matches);

    /// <summary>False once every compared day matches Stripe (healed days included) and nothing older waits unsent.</summary>
    public bool DriftRemains => Days.Any(d => d.Outcome is DayOutcome.Missing or DayOutcome.Excess) || OutsideWindow.Count > 0;
}
