using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Stripe;
using Stripe.Billing;

namespace TenantQuota.Billing.MeterEvents;

/// <summary>One Stripe meter event for one usage record: who, which meter, how much, when.</summary>
public sealed record MeterEventRequest(
    long UsageRecordId, string StripeCustomerId, string EventName, long Quantity, DateTimeOffset OccurredAt)
{
    /// <summary>The meter event's identifier: Stripe deduplicates on it for at least 24 hours.</summary>
    public string Identifier => UsageRecordId.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// The Idempotency-Key of the <paramref name="generation"/>th request for this usage record. Every
    /// attempt uses generation 1 (meter-event-{id}), so a retry is the same request to Stripe; the next
    /// is used only once Stripe has stored a server error under the one before (see
    /// <see cref="MeterEventSender.SendAsync"/>). Derived, never random.
    /// </summary>
    public string IdempotencyKeyOf(int generation) => generation == 1 ? "meter-event-" + Identifier : $"meter-event-{Identifier}-{generation}";
}

/// <summary>
/// Sends meter events to Stripe (POST /v1/billing/meter_events) with Stripe.net, and sorts failures
/// into "try again later" (<see cref="StripeUnavailableException"/>) and "Stripe refused it"
/// (<see cref="MeterEventRejectedException"/>). Used by the worker's OverageRecordedConsumer, and
/// meant for reconciliation too. Never logs the API key; logs Stripe's request id and error type.
/// </summary>
public sealed class MeterEventSender(IStripeClient stripe, ILogger<MeterEventSender> log)
{
    private readonly MeterEventService _service = new(stripe);

    /// <summary>Keys tried for one usage record in one call before giving up for now.</summary>
    public const int MaxKeyGenerations = 4;

    /// <summary>
    /// Sends the event. Stripe stores a server error under its Idempotency-Key once the endpoint began, and
    /// replays it to every retry with that key for 24 h (shared/stripe/NOTES.md §5): a 5xx answered with
    /// Idempotent-Replayed: true will never change. The event is then sent under the next derived key
    /// (<see cref="MeterEventRequest.IdempotencyKeyOf"/>), which is safe because the identifier still
    /// deduplicates: if the failed request did record the event, Stripe refuses the identifier as a duplicate.
    /// </summary>
    /// <exception cref="StripeUnavailableException">Network trouble, 5xx, 409 or a rate limit: send again later, the same way.</exception>
    /// <exception cref="MeterEventRejectedException">Stripe refused the event (4xx): sending it again will not help.</exception>
    public async Task SendAsync(MeterEventRequest request, CancellationToken cancellationToken)
    {
        for (var generation = 1; ; generation++)
        {
            try
            {
                await SendAsync(request, generation, cancellationToken);
                return;
            }
            catch (StripeUnavailableException e) when (e.InnerException is StripeException stripe && IsStoredServerError(stripe) && generation < MaxKeyGenerations)
            {
                log.LogWarning("Stripe keeps a server error stored under Idempotency-Key {IdempotencyKey} (request {RequestId}); meter event {Identifier} goes again under {NextKey}",
                    request.IdempotencyKeyOf(generation), stripe.StripeResponse?.RequestId, request.Identifier, request.IdempotencyKeyOf(generation + 1));
            }
        }
    }

    private async Task SendAsync(MeterEventRequest request, int generation, CancellationToken cancellationToken)
    {
        var options = new MeterEventCreateOptions
        {
            EventName = request.EventName,
            Identifier = request.Identifier,
            // Meter payload values are strings on the wire (shared/stripe/NOTES.md §2, §7).
            Payload = new Dictionary<string, string>
            {
                ["stripe_customer_id"] = request.StripeCustomerId,
                ["value"] = request.Quantity.ToString(CultureInfo.InvariantCulture),
            },
            Timestamp = request.OccurredAt.UtcDateTime,
        };
        try
        {
            await _service.CreateAsync(options, new RequestOptions { IdempotencyKey = request.IdempotencyKeyOf(generation) }, cancellationToken);
        }
        catch (StripeException e) when (IsTransient(e))
        {
            log.LogWarning("Stripe did not take meter event {Identifier} ({EventName}) now: HTTP {Status}, type {ErrorType}, code {ErrorCode}, request {RequestId}; it will be sent again",
                request.Identifier, request.EventName, (int)e.HttpStatusCode, e.StripeError?.Type, e.StripeError?.Code, e.StripeResponse?.RequestId);
            throw new StripeUnavailableException(request, e);
        }
        catch (StripeException e)
        {
            throw new MeterEventRejectedException(request, e);
        }
        catch (Exception e) when (IsNetworkFailure(e, cancellationToken))
        {
            log.LogWarning("Stripe could not be reached for meter event {Identifier} ({EventName}): {Error}; it will be sent again",
                request.Identifier, request.EventName, e.Message);
            throw new StripeUnavailableException(request, e);
        }
    }

    /// <summary>
    /// Stripe's own retry rules (shared/stripe/NOTES.md §5), plus rate limits: Stripe-Should-Retry
    /// decides when present; otherwise 409, 429, any 5xx and a 400 with code rate_limit are worth
    /// another attempt with the same Idempotency-Key.
    /// </summary>
    public static bool IsTransient(StripeException e)
    {
        if (e.StripeResponse?.Headers is { } headers && headers.TryGetValues("Stripe-Should-Retry", out var values))
        {
            var value = values.FirstOrDefault();
            if (string.Equals(value, "true", StringComparison.OrdinalIgnoreCase)) return true;
            if (string.Equals(value, "false", StringComparison.OrdinalIgnoreCase)) return false;
        }
        var status = (int)e.HttpStatusCode;
        return status is 0 or 409 or 429 or >= 500
               || (e.HttpStatusCode == HttpStatusCode.BadRequest && e.StripeError?.Code == "rate_limit");
    }

    /// <summary>A 5xx Stripe replayed from its idempotency store: the answer every retry with that key will get.</summary>
    private static bool IsStoredServerError(StripeException e) =>
        (int)e.HttpStatusCode >= 500
        && e.StripeResponse?.Headers is { } headers
        && headers.TryGetValues("Idempotent-Replayed", out var values)
        && string.Equals(values.FirstOrDefault(), "true", StringComparison.OrdinalIgnoreCase);

    private static bool IsNetworkFailure(Exception e, CancellationToken cancellationToken) => e switch
    {
        HttpRequestException or IOException or SocketException => true,
        // HttpClient's own timeout, not our cancellation.
        TaskCanceledException => !cancellationToken.IsCancellationRequested,
        _ => false,
    };
}
