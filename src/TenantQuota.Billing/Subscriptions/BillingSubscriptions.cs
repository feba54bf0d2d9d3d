using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using TenantQuota.Billing.Catalog;
using TenantQuota.Billing.Webhooks;
using TenantQuota.Data;
using TenantQuota.Domain.Matrix;
using static TenantQuota.Billing.Webhooks.StripeEventEnvelope;

namespace TenantQuota.Billing.Subscriptions;

/// <summary>What processing a stored event did.</summary>
public sealed record EventOutcome(string EventId, bool AlreadyProcessed, string Outcome, string? TenantId, string? TierMovedTo);

/// <summary>
/// Acts on stored Stripe events, once each and in the order of Stripe's own event times (see
/// <see cref="SubscriptionRules"/>), and keeps each tenant's tier where its subscription says:
/// the subscription's tier while active or trialing, or past due for less than the grace period
/// (Billing__GracePeriod, 7 days), the free tier otherwise. Tier moves go through
/// <see cref="TenantTierChange"/>, whose version bump makes every API process see them; the local
/// <see cref="TenantDirectory"/> forgets the tenant too.
/// The event row (FOR UPDATE) serialises two deliveries of one event; an advisory lock on the tenant
/// serialises different events of one tenant. A failure before the event is marked processed leaves it
/// pending: the next delivery of it, or <see cref="ProcessPendingAsync"/>, acts on it then.
/// </summary>
public sealed class BillingSubscriptions(
    NpgsqlDataSource db, TenantQuotaDb tenants, QuotaMatrix matrix, TenantDirectory directory,
    IOptions<BillingSettings> settings, TimeProvider clock, ILogger<BillingSubscriptions> logger)
{
    private const int LockClass = 74522; // pg_advisory_xact_lock(74522, hashtext(tenant_id))

    private string FreeTier => matrix.Tiers[0];

    /// <summary>Acts on one stored event unless it was acted on before (then nothing changes).</summary>
    public async Task<EventOutcome> ProcessAsync(string eventId, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);

        string payload;
        await using (var read = new NpgsqlCommand("SELECT payload::text AS payload, processed_at, outcome FROM stripe_events WHERE id = $1 FOR UPDATE", connection, transaction))
        {
            read.Parameters.Add(new NpgsqlParameter { Value = eventId });
            await using var reader = await read.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken)) throw new InvalidOperationException($"Stripe event {eventId} is not stored.");
            if (!reader.IsDBNull(reader.GetOrdinal("processed_at")))
                return new EventOutcome(eventId, true, reader.IsDBNull(reader.GetOrdinal("outcome")) ? "" : reader.GetString(reader.GetOrdinal("outcome")), null, null);
            payload = reader.GetString(reader.GetOrdinal("payload"));
        }
        if (!TryParse(payload, out var envelope, out var error))
            return await FinishAsync(connection, transaction, eventId, $"ignored: {error}", null, null, cancellationToken);

        var interpreted = await InterpretAsync(connection, transaction, envelope, cancellationToken);
        if (interpreted.Ignored is { } why)
        {
            if (interpreted.Warn) logger.LogWarning("Stripe event {EventId} ({Type}) ignored: {Reason}", envelope.Id, envelope.Type, why);
            return await FinishAsync(connection, transaction, eventId, $"ignored: {why}", interpreted.TenantId, null, cancellationToken);
        }
        var tenantId = interpreted.TenantId!;
        var change = interpreted.Change!;

        await LockTenantAsync(connection, transaction, tenantId, cancellationToken);
        var current = await ReadStateAsync(connection, transaction, tenantId, cancellationToken);
        var result = SubscriptionRules.Apply(current, change);
        string? movedTo = null;
        if (result.Verdict == ChangeVerdict.Applied && result.State is { } next)
        {
            await WriteStateAsync(connection, transaction, tenantId, next, cancellationToken);
            movedTo = await ConvergeTierAsync(connection, transaction, tenantId, next, $"Stripe event {eventId} ({envelope.Type})", $"stripe:{eventId}", cancellationToken);
        }
        var outcome = result.Verdict switch
        {
            ChangeVerdict.Applied => $"applied: {result.Reason}{(movedTo is null ? "" : $"; tenant moved to {movedTo}")}",
            ChangeVerdict.Stale => $"stale: {result.Reason}",
            _ => $"ignored: {result.Reason}",
        };
        return await FinishAsync(connection, transaction, eventId, outcome, tenantId, movedTo, cancellationToken);
    }

    /// <summary>
    /// Moves every tenant whose subscription has been past due for longer than the grace period to the
    /// free tier. Runs after every webhook; the worker is meant to call it on a schedule as well, so a
    /// downgrade does not wait for the next event.
    /// </summary>
    /// <returns>The tenants moved.</returns>
    public async Task<IReadOnlyList<string>> EnforceGraceAsync(CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var due = new List<string>();
        await using (var find = db.CreateCommand("""
            SELECT s.tenant_id FROM billing_subscriptions s JOIN tenants t ON t.id = s.tenant_id
             WHERE s.status = 'past_due' AND s.past_due_since <= $1 AND t.tier <> $2
            """))
        {
            find.Parameters.Add(new NpgsqlParameter { Value = now - settings.Value.GracePeriod });
            find.Parameters.Add(new NpgsqlParameter { Value = FreeTier });
            await using var reader = await find.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken)) due.Add(reader.GetString(0));
        }

        var moved = new List<string>();
        foreach (var tenantId in due)
        {
            await using var connection = await db.OpenConnectionAsync(cancellationToken);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            await LockTenantAsync(connection, transaction, tenantId, cancellationToken);
            if (await ReadStateAsync(connection, transaction, tenantId, cancellationToken) is { } state
                && await ConvergeTierAsync(connection, transaction, tenantId, state, "the payment grace period ended", "billing:grace-period", cancellationToken) is not null)
                moved.Add(tenantId);
            await transaction.CommitAsync(cancellationToken);
        }
        return moved;
    }

    /// <summary>
    /// Acts on events that were stored but not acted on (a crash or an outage between the two) and are
    /// older than <paramref name="olderThan"/>, oldest first. For the worker's schedule.
    /// </summary>
    public async Task<IReadOnlyList<EventOutcome>> ProcessPendingAsync(TimeSpan olderThan, CancellationToken cancellationToken)
    {
        var ids = new List<string>();
        await using (var find = db.CreateCommand("SELECT id FROM stripe_events WHERE processed_at IS NULL AND received_at <= $1 ORDER BY created, received_at LIMIT 100"))
        {
            find.Parameters.Add(new NpgsqlParameter { Value = clock.GetUtcNow() - olderThan });
            await using var reader = await find.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken)) ids.Add(reader.GetString(0));
        }
        var outcomes = new List<EventOutcome>();
        foreach (var id in ids) outcomes.Add(await ProcessAsync(id, cancellationToken));
        return outcomes;
    }

    /// <summary>A tenant's subscription state, as the webhooks left it (null when it never had one).</summary>
    public async Task<SubscriptionState?> FindAsync(string tenantId, CancellationToken cancellationToken)
    {
        // Waits for a webhook being acted on for this tenant: it commits the tier change in a transaction of
        // its own before the subscription state, and a checkout started in between must not see the tier
        // paid for but no subscription (it would sell a second one). Readers share the lock.
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var wait = new NpgsqlCommand($"SELECT pg_advisory_xact_lock_shared({LockClass}, hashtext($1))", connection, transaction))
        {
            wait.Parameters.Add(new NpgsqlParameter { Value = tenantId });
            await wait.ExecuteNonQueryAsync(cancellationToken);
        }
        var state = await ReadStateAsync(connection, transaction, tenantId, cancellationToken, forUpdate: false);
        await transaction.CommitAsync(cancellationToken);
        return state;
    }

    private sealed record Interpretation(string? TenantId, SubscriptionChange? Change, string? Ignored, bool Warn = false);

    private static Interpretation Ignore(string reason, string? tenantId = null, bool warn = false) => new(tenantId, null, reason, warn);

    /// <summary>Which tenant the event is about, and what it says, in our terms.</summary>
    private async Task<Interpretation> InterpretAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, StripeEventEnvelope envelope, CancellationToken cancellationToken)
    {
        var o = envelope.Object;
        var customer = IdOf(o, "customer");
        string? subscription;
        JsonElement? metadataHolder = o;
        SubscriptionChange change;
        switch (envelope.Type)
        {
            case "checkout.session.completed":
                if (Text(o, "mode") is { } mode && mode != "subscription") return Ignore($"a Checkout Session in {mode} mode");
                subscription = IdOf(o, "subscription");
                if (Text(o, "payment_status") == "unpaid") return Ignore("the Checkout Session is completed but not paid yet");
                var sessionTier = Metadata(o, "tier");
                if (!IsSoldTier(sessionTier)) return Ignore($"metadata.tier '{sessionTier}' is not a paid tier of the matrix", warn: true);
                change = new StatusReported(envelope.Id, envelope.Created, subscription, customer, SubscriptionStatus.Active, sessionTier);
                break;
            case "customer.subscription.created" or "customer.subscription.updated" or "customer.subscription.deleted":
                subscription = Text(o, "id");
                var status = envelope.Type == "customer.subscription.deleted" ? SubscriptionStatus.Canceled : Text(o, "status");
                if (status is null) return Ignore("the subscription has no status", warn: true);
                var catalog = await StripeCatalog.ReadAsync(connection, transaction, cancellationToken);
                var tier = TierOfItems(o, catalog) ?? (Metadata(o, "tier") is { } metadataTier && IsSoldTier(metadataTier) ? metadataTier : null);
                change = new StatusReported(envelope.Id, envelope.Created, subscription, customer, status, tier);
                break;
            case "invoice.payment_failed" or "invoice.paid" or "invoice.payment_succeeded":
                // 2025+ versions: parent.subscription_details; older ones: subscription and subscription_details.
                subscription = Child(o, "parent", "subscription_details") is { } details ? IdOf(details, "subscription") : IdOf(o, "subscription");
                if (subscription is null) return Ignore("the invoice is not for a subscription");
                metadataHolder = Child(o, "parent", "subscription_details") ?? Child(o, "subscription_details");
                change = envelope.Type == "invoice.payment_failed"
                    ? new PaymentFailed(envelope.Id, envelope.Created, subscription, customer)
                    : new PaymentSucceeded(envelope.Id, envelope.Created, subscription, customer);
                break;
            default:
                return Ignore($"TenantQuota does not act on {envelope.Type}");
        }

        // The tenant: our metadata on the object, checked against the customer we created for it.
        var named = metadataHolder is { } holder ? Metadata(holder, "tenant_id") : null;
        named ??= envelope.Type == "checkout.session.completed" ? Text(o, "client_reference_id") : null;
        var owner = customer is null ? null : await TenantOfCustomerAsync(connection, transaction, customer, cancellationToken);
        if (named is not null && owner is not null && named != owner)
            return Ignore($"metadata names tenant '{named}' but customer {customer} belongs to tenant '{owner}'", owner, warn: true);
        var tenantId = named ?? owner;
        if (tenantId is null) return Ignore("no tenant: neither metadata.tenant_id nor a customer of ours", warn: true);
        if (!await TenantExistsAsync(connection, transaction, tenantId, cancellationToken)) return Ignore($"there is no tenant '{tenantId}'", warn: true);
        return new Interpretation(tenantId, change, null);
    }

    private bool IsSoldTier(string? tier) => matrix.HasTier(tier) && tier != FreeTier;

    /// <summary>The tier of the subscription's recurring price, as the catalogue sync stored it: it stays right after a plan change in the portal.</summary>
    private static string? TierOfItems(JsonElement subscription, StripeCatalog catalog)
    {
        if (Child(subscription, "items", "data") is not { ValueKind: JsonValueKind.Array } items) return null;
        foreach (var item in items.EnumerateArray())
            if (IdOf(item, "price") is { } priceId && catalog.TierOfPrice(priceId) is { } tier)
                return tier;
        return null;
    }

    /// <summary>Moves the tenant to the tier its subscription entitles it to, if it is elsewhere; returns the new tier, or null when it stays.</summary>
    private async Task<string?> ConvergeTierAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string tenantId, SubscriptionState state, string why,
        string actor, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var entitled = state.EntitledTier(now, settings.Value.GracePeriod, FreeTier);
        string? currentTier;
        await using (var read = new NpgsqlCommand("SELECT tier FROM tenants WHERE id = $1", connection, transaction))
        {
            read.Parameters.Add(new NpgsqlParameter { Value = tenantId });
            currentTier = (string?)await read.ExecuteScalarAsync(cancellationToken);
        }
        if (currentTier is null || currentTier == entitled) return null;

        // Its own transaction (on the context's connection); ours holds the tenant's billing lock meanwhile.
        var moved = await TenantTierChange.ChangeAsync(tenants, matrix, tenantId, entitled, now, actor, cancellationToken);
        directory.Forget(tenantId);
        if (moved is null) return null;
        logger.LogInformation("Tenant {TenantId} moved from {FromTier} to {ToTier}: {Why} (subscription {SubscriptionId} {Status})",
            tenantId, currentTier, entitled, why, state.SubscriptionId, state.Status);
        return entitled;
    }

    private async Task<EventOutcome> FinishAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string eventId, string outcome, string? tenantId, string? movedTo, CancellationToken cancellationToken)
    {
        await using (var mark = new NpgsqlCommand("UPDATE stripe_events SET processed_at = $2, outcome = $3 WHERE id = $1", connection, transaction))
        {
            mark.Parameters.Add(new NpgsqlParameter { Value = eventId });
            mark.Parameters.Add(new NpgsqlParameter { Value = clock.GetUtcNow() });
            mark.Parameters.Add(new NpgsqlParameter { Value = outcome });
            await mark.ExecuteNonQueryAsync(cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
        return new EventOutcome(eventId, false, outcome, tenantId, movedTo);
    }

    private static async Task LockTenantAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string tenantId, CancellationToken cancellationToken)
    {
        await using var take = new NpgsqlCommand($"SELECT pg_advisory_xact_lock({LockClass}, hashtext($1))", connection, transaction);
        take.Parameters.Add(new NpgsqlParameter { Value = tenantId });
        await take.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task<SubscriptionState?> ReadStateAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string tenantId, CancellationToken cancellationToken, bool forUpdate = true)
    {
        await using var read = new NpgsqlCommand($"""
            SELECT stripe_subscription_id, stripe_customer_id, status, tier, as_of, past_due_since, last_event_id
              FROM billing_subscriptions WHERE tenant_id = $1 {(forUpdate ? "FOR UPDATE" : "")}
            """, connection, transaction);
        read.Parameters.Add(new NpgsqlParameter { Value = tenantId });
        await using var reader = await read.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken)) return null;
        string? Text(string column) => reader.IsDBNull(reader.GetOrdinal(column)) ? null : reader.GetString(reader.GetOrdinal(column));
        DateTimeOffset? Time(string column) => reader.IsDBNull(reader.GetOrdinal(column)) ? null : reader.GetFieldValue<DateTimeOffset>(reader.GetOrdinal(column));
        return new SubscriptionState(Text("stripe_subscription_id"), Text("stripe_customer_id"), Text("status")!, Text("tier")!,
            Time("as_of")!.Value, Time("past_due_since"), Text("last_event_id")!);
    }

    private async Task WriteStateAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string tenantId, SubscriptionState state, CancellationToken cancellationToken)
    {
        await using var write = new NpgsqlCommand("""
            INSERT INTO billing_subscriptions AS s (tenant_id, stripe_subscription_id, stripe_customer_id, status, tier, as_of, past_due_since, last_event_id, updated_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
            ON CONFLICT (tenant_id) DO UPDATE SET stripe_subscription_id = EXCLUDED.stripe_subscription_id, stripe_customer_id = EXCLUDED.stripe_customer_id,
                status = EXCLUDED.status, tier = EXCLUDED.tier, as_of = EXCLUDED.as_of, past_due_since = EXCLUDED.past_due_since,
                last_event_id = EXCLUDED.last_event_id, updated_at = EXCLUDED.updated_at
            """, connection, transaction);
        write.Parameters.Add(new NpgsqlParameter { Value = tenantId });
        write.Parameters.Add(Nullable(state.SubscriptionId));
        write.Parameters.Add(Nullable(state.CustomerId));
        write.Parameters.Add(new NpgsqlParameter { Value = state.Status });
        write.Parameters.Add(new NpgsqlParameter { Value = state.Tier });
        write.Parameters.Add(new NpgsqlParameter { Value = state.AsOf });
        write.Parameters.Add(new NpgsqlParameter { Value = (object?)state.PastDueSince ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.TimestampTz });
        write.Parameters.Add(new NpgsqlParameter { Value = state.LastEventId });
        write.Parameters.Add(new NpgsqlParameter { Value = clock.GetUtcNow() });
        await write.ExecuteNonQueryAsync(cancellationToken);
    }

    private static NpgsqlParameter Nullable(string? value) =>
        new() { Value = (object?)value ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text };

    private static async Task<string?> TenantOfCustomerAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string customerId, CancellationToken cancellationToken)
    {
        await using var read = new NpgsqlCommand("SELECT tenant_id FROM billing_customers WHERE stripe_customer_id = $1", connection, transaction);
        read.Parameters.Add(new NpgsqlParameter { Value = customerId });
        return (string?)await read.ExecuteScalarAsync(cancellationToken);
    }

    private static async Task<bool> TenantExistsAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string tenantId, CancellationToken cancellationToken)
    {
        await using var read = new NpgsqlCommand("SELECT 1 FROM tenants WHERE id = $1", connection, transaction);
        read.Parameters.Add(new NpgsqlParameter { Value = tenantId });
        return await read.ExecuteScalarAsync(cancellationToken) is not null;
    }
}
