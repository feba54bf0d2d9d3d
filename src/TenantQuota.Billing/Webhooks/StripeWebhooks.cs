using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;
using Stripe;
using TenantQuota.Billing.Subscriptions;

namespace TenantQuota.Billing.Webhooks;

public enum WebhookVerdict
{
    /// <summary>Stripe-Signature is missing, does not match the body, or its time is more than the tolerance away from ours: nothing is stored.</summary>
    BadSignature,
    /// <summary>Signed, but not a Stripe event we can read (no id, type, created or data.object): nothing is stored.</summary>
    Malformed,
    /// <summary>Stored now (and acted on).</summary>
    Stored,
    /// <summary>An event id we had already stored: nothing changes.</summary>
    Duplicate,
}

public sealed record WebhookReceipt(WebhookVerdict Verdict, string Detail, string? EventId = null, string? Outcome = null);

/// <summary>
/// Receives Stripe's webhook deliveries: verifies Stripe-Signature over the raw body (HMAC-SHA256 with
/// the endpoint secret, any v1 signature of the header, so both secrets work during a rotation; at most
/// <see cref="ToleranceSeconds"/> from our clock), stores the event by id before anything acts on it,
/// then has <see cref="BillingSubscriptions"/> act on it and check the grace periods.
/// </summary>
public sealed class StripeWebhooks(
    NpgsqlDataSource db, BillingSubscriptions subscriptions, IOptions<StripeSettings> stripe, TimeProvider clock, ILogger<StripeWebhooks> logger)
{
    public const long ToleranceSeconds = 300;

    public async Task<WebhookReceipt> ReceiveAsync(string json, string? signatureHeader, CancellationToken cancellationToken)
    {
        var settings = stripe.Value;
        if (string.IsNullOrEmpty(signatureHeader))
            return new(WebhookVerdict.BadSignature, "The Stripe-Signature header is missing.");
        try
        {
            // What EventUtility.ConstructEvent checks, without its typed parse (docs/decisions/0009), on our clock.
            EventUtility.ValidateSignature(json, signatureHeader, settings.WebhookSecret, ToleranceSeconds, clock.GetUtcNow().ToUnixTimeSeconds());
        }
        catch (StripeException e)
        {
            logger.LogWarning("Stripe webhook refused: {Reason}", e.Message);
            return new(WebhookVerdict.BadSignature,
                $"The Stripe-Signature header does not verify: no v1 signature matches the body with the endpoint secret, or its timestamp is more than {ToleranceSeconds} s from now.");
        }
        if (!StripeEventEnvelope.TryParse(json, out var envelope, out var error))
        {
            logger.LogWarning("Stripe webhook signed but unreadable: {Error}", error);
            return new(WebhookVerdict.Malformed, error);
        }
        if (envelope.ApiVersion != settings.PinnedApiVersion)
            logger.LogWarning("Stripe event {EventId} ({Type}) is in API version {EventApiVersion}, not the pinned {PinnedApiVersion}: stored and read defensively. " +
                              "Set the webhook endpoint's API version in Stripe to the pinned one.", envelope.Id, envelope.Type, envelope.ApiVersion ?? "(none)", settings.PinnedApiVersion);

        var stored = await StoreAsync(envelope, json, cancellationToken);
        var outcome = await subscriptions.ProcessAsync(envelope.Id, cancellationToken);
        await subscriptions.EnforceGraceAsync(cancellationToken);
        if (!outcome.AlreadyProcessed)
            logger.LogInformation("Stripe event {EventId} ({Type}, {Created:O}): {Outcome}", envelope.Id, envelope.Type, envelope.Created, outcome.Outcome);
        return stored
            ? new(WebhookVerdict.Stored, "Stored.", envelope.Id, outcome.Outcome)
            : new(WebhookVerdict.Duplicate, "Already stored.", envelope.Id, outcome.Outcome);
    }

    /// <returns>False when an event with this id was stored before (its first copy wins).</returns>
    private async Task<bool> StoreAsync(StripeEventEnvelope envelope, string json, CancellationToken cancellationToken)
    {
        await using var insert = db.CreateCommand("""
            INSERT INTO stripe_events (id, type, api_version, created, payload, received_at) VALUES ($1, $2, $3, $4, $5, $6)
            ON CONFLICT (id) DO NOTHING
            """);
        insert.Parameters.Add(new NpgsqlParameter { Value = envelope.Id });
        insert.Parameters.Add(new NpgsqlParameter { Value = envelope.Type });
        insert.Parameters.Add(new NpgsqlParameter { Value = (object?)envelope.ApiVersion ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        insert.Parameters.Add(new NpgsqlParameter { Value = envelope.Created });
        insert.Parameters.Add(new NpgsqlParameter { Value = json, NpgsqlDbType = NpgsqlDbType.Jsonb });
        insert.Parameters.Add(new NpgsqlParameter { Value = clock.GetUtcNow() });
        return await insert.ExecuteNonQueryAsync(cancellationToken) == 1;
    }
}
