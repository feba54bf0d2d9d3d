namespace TenantQuota.Billing.Subscriptions;

/// <summary>Stripe's subscription statuses, and what each means for the tenant's tier.</summary>
public static class SubscriptionStatus
{
    public const string Active = "active";
    public const string Trialing = "trialing";
    public const string PastDue = "past_due";
    public const string Unpaid = "unpaid";
    public const string Canceled = "canceled";

    public static bool Grants(string status) => status is Active or Trialing;

    /// <summary>
    /// How far along Stripe's lifecycle a status is. Event times have one-second resolution, and Stripe
    /// sends several events in the same second (subscription created, then updated, then checkout
    /// completed): between two events of the same second, the one further along wins.
    /// </summary>
    public static int Rank(string status) => status switch
    {
        "incomplete" => 0,
        Trialing or Active => 1,
        PastDue or "paused" => 2,
        Unpaid => 3,
        _ => 4, // canceled, incomplete_expired, and anything newer: an end
    };
}

/// <summary>
/// A tenant's current subscription as the newest applied event described it (one billing_subscriptions
/// row). <see cref="AsOf"/> is that event's time: older events are stale.
/// </summary>
public sealed record SubscriptionState(
    string? SubscriptionId, string? CustomerId, string Status, string Tier, DateTimeOffset AsOf, DateTimeOffset? PastDueSince, string LastEventId)
{
    /// <summary>
    /// The tier the tenant is entitled to now: the subscription's tier while it is active or trialing, and
    /// while it is past due for less than the grace period; otherwise the free tier.
    /// </summary>
    public string EntitledTier(DateTimeOffset now, TimeSpan gracePeriod, string freeTier) => Status switch
    {
        SubscriptionStatus.Active or SubscriptionStatus.Trialing => Tier,
        SubscriptionStatus.PastDue when PastDueSince is { } since && now < since + gracePeriod => Tier,
        _ => freeTier,
    };
}

/// <summary>What one Stripe event says about a tenant's subscription, in our terms.</summary>
public abstract record SubscriptionChange(string EventId, DateTimeOffset At, string? SubscriptionId, string? CustomerId);

/// <summary>Stripe told us the subscription's status (checkout completed, subscription created, updated or deleted).</summary>
public sealed record StatusReported(string EventId, DateTimeOffset At, string? SubscriptionId, string? CustomerId, string Status, string? Tier)
    : SubscriptionChange(EventId, At, SubscriptionId, CustomerId);

/// <summary>An invoice of the subscription could not be paid (invoice.payment_failed): the grace period starts.</summary>
public sealed record PaymentFailed(string EventId, DateTimeOffset At, string? SubscriptionId, string? CustomerId)
    : SubscriptionChange(EventId, At, SubscriptionId, CustomerId);

/// <summary>An invoice of the subscription was paid (invoice.paid): a past-due subscription is active again.</summary>
public sealed record PaymentSucceeded(string EventId, DateTimeOffset At, string? SubscriptionId, string? CustomerId)
    : SubscriptionChange(EventId, At, SubscriptionId, CustomerId);

public enum ChangeVerdict
{
    /// <summary>The state moved on.</summary>
    Applied,
    /// <summary>The event is older than the state (or as old and earlier in the lifecycle): nothing changes.</summary>
    Stale,
    /// <summary>The event does not concern the tenant's current subscription, or says nothing we can act on.</summary>
    Ignored,
}

public sealed record ChangeResult(ChangeVerdict Verdict, SubscriptionState? State, string Reason);

/// <summary>
/// The ordering and idempotency rules of subscription events, pure: the same event applied twice, or an
/// older one after a newer one, leaves the state as it was. Events are ordered by Stripe's own event
/// time, never by arrival.
/// </summary>
public static class SubscriptionRules
{
    public static ChangeResult Apply(SubscriptionState? current, SubscriptionChange change)
    {
        if (current is not null && change.At < current.AsOf)
            return new(ChangeVerdict.Stale, current, $"older ({change.At:O}) than the subscription state ({current.AsOf:O}, event {current.LastEventId})");

        var sameSubscription = current is null || change.SubscriptionId is null || current.SubscriptionId is null || change.SubscriptionId == current.SubscriptionId;
        string status;
        string? tier;
        switch (change)
        {
            case StatusReported reported:
                status = reported.Status;
                tier = reported.Tier;
                if (current is null || !sameSubscription)
                {
                    // Only a subscription that grants a tier becomes the tenant's current one.
                    if (!SubscriptionStatus.Grants(status))
                        return new(ChangeVerdict.Ignored, current, current is null
                            ? $"no subscription on record for the tenant, and this one is {status}"
                            : $"about subscription {change.SubscriptionId} ({status}), not the tenant's current {current.SubscriptionId}");
                    if (tier is null) return new(ChangeVerdict.Ignored, current, "the subscription names no tier TenantQuota sells");
                    return new(ChangeVerdict.Applied,
                        new SubscriptionState(change.SubscriptionId, change.CustomerId, status, tier, change.At, null, change.EventId),
                        $"{tier} ({status})");
                }
                break;
            case PaymentFailed:
                if (current is null) return new(ChangeVerdict.Ignored, null, "no subscription on record for the tenant");
                if (!sameSubscription) return new(ChangeVerdict.Ignored, current, $"about subscription {change.SubscriptionId}, not the tenant's current {current.SubscriptionId}");
                if (!SubscriptionStatus.Grants(current.Status)) return new(ChangeVerdict.Ignored, current, $"the subscription is already {current.Status}");
                status = SubscriptionStatus.PastDue;
                tier = null;
                break;
            case PaymentSucceeded:
                if (current is null) return new(ChangeVerdict.Ignored, null, "no subscription on record for the tenant");
                if (!sameSubscription) return new(ChangeVerdict.Ignored, current, $"about subscription {change.SubscriptionId}, not the tenant's current {current.SubscriptionId}");
                if (current.Status is not (SubscriptionStatus.PastDue or SubscriptionStatus.Unpaid)) return new(ChangeVerdict.Ignored, current, $"the subscription is {current.Status}, nothing to recover");
                status = SubscriptionStatus.Active;
                tier = null;
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(change), change, null);
        }

        if (change.At == current.AsOf && SubscriptionStatus.Rank(status) < SubscriptionStatus.Rank(current.Status))
            return new(ChangeVerdict.Stale, current, $"as old as the subscription state ({current.AsOf:O}) and earlier in its lifecycle ({status} before {current.Status})");

        var next = current with
        {
            SubscriptionId = change.SubscriptionId ?? current.SubscriptionId,
            CustomerId = change.CustomerId ?? current.CustomerId,
            Status = status,
            Tier = tier ?? current.Tier,
            AsOf = change.At,
            PastDueSince = status == SubscriptionStatus.PastDue ? current.PastDueSince ?? change.At : null,
            LastEventId = change.EventId,
        };
        return new(ChangeVerdict.Applied, next, $"{next.Tier} ({next.Status})");
    }
}
