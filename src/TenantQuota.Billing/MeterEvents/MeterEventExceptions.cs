using Stripe;

namespace TenantQuota.Billing.MeterEvents;

/// <summary>What a failed meter event tells the logs: Stripe's status, error type and code, and request id.</summary>
public abstract class MeterEventException(string message, MeterEventRequest request, Exception inner) : Exception(message, inner)
{
    public MeterEventRequest Request { get; } = request;

    /// <summary>The HTTP status Stripe answered, or null when no answer came.</summary>
    public int? HttpStatus => (InnerException as StripeException)?.HttpStatusCode is { } status && (int)status > 0 ? (int)status : null;

    /// <summary>Stripe's error type (invalid_request_error, api_error, idempotency_error, …).</summary>
    public string? ErrorType => (InnerException as StripeException)?.StripeError?.Type;

    public string? ErrorCode => (InnerException as StripeException)?.StripeError?.Code;

    /// <summary>Stripe's Request-Id: what Stripe support asks for.</summary>
    public string? RequestId => (InnerException as StripeException)?.StripeResponse?.RequestId;
}

/// <summary>Stripe could not take the event now (network, 5xx, 409, rate limit): send it again later with the same key.</summary>
public sealed class StripeUnavailableException(MeterEventRequest request, Exception inner)
    : MeterEventException($"Stripe did not take meter event {request.Identifier} now: {inner.Message}", request, inner);

/// <summary>Stripe refused the event (a 4xx other than a rate limit): the request or our data must be fixed first.</summary>
public sealed class MeterEventRejectedException(MeterEventRequest request, StripeException inner)
    : MeterEventException($"Stripe rejected meter event {request.Identifier} ({request.EventName}): HTTP {(int)inner.HttpStatusCode} " +
                          $"{inner.StripeError?.Type}/{inner.StripeError?.Code}: {inner.StripeError?.Message ?? inner.Message}", request, inner);
