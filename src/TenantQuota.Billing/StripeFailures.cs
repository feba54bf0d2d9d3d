using System.Net;
using Microsoft.Extensions.Logging;
using Stripe;

namespace TenantQuota.Billing;

/// <summary>What went wrong with a Stripe call, in the words a caller and an operator need.</summary>
public enum StripeFailureKind
{
    /// <summary>No answer, a 5xx, a 409 lock or a 429: retrying later may work.</summary>
    Unavailable,
    /// <summary>Stripe refused the request (4xx): our configuration or our bug; retrying will not help.</summary>
    Rejected,
}

public static class StripeFailures
{
    /// <summary>
    /// Logs a failed Stripe call with Stripe's request id, error type and code, and the HTTP status;
    /// never the key, the body we sent or the secret. Stripe.net has already retried what Stripe's
    /// retry rules allow (connection errors, 409, 5xx, Stripe-Should-Retry) with the same Idempotency-Key.
    /// </summary>
    public static StripeFailureKind Log(ILogger logger, StripeException exception, string operation)
    {
        var kind = Classify(exception);
        logger.Log(kind == StripeFailureKind.Unavailable ? LogLevel.Warning : LogLevel.Error,
            "Stripe call {Operation} failed: HTTP {Status}, type {ErrorType}, code {ErrorCode}, request id {StripeRequestId}, idempotency key {IdempotencyKey}: {Message}",
            operation,
            (int)exception.HttpStatusCode,
            exception.StripeError?.Type ?? "(none)",
            exception.StripeError?.Code ?? "(none)",
            exception.StripeResponse?.RequestId ?? "(none)",
            exception.StripeResponse?.IdempotencyKey ?? "(none)",
            exception.StripeError?.Message ?? exception.Message);
        return kind;
    }

    /// <summary>
    /// Stripe.net lets network failures through as they are (HttpRequestException: refused, reset, DNS;
    /// TaskCanceledException: its 80 s timeout), after its own retries. Logged without the request.
    /// </summary>
    public static void LogUnreachable(ILogger logger, Exception exception, string operation) =>
        logger.LogWarning("Stripe call {Operation} got no answer: {ErrorKind}: {Message}", operation, exception.GetType().Name, exception.Message);

    public static StripeFailureKind Classify(StripeException exception) => exception.HttpStatusCode switch
    {
        0 => StripeFailureKind.Unavailable, // no response: connection refused, timeout
        HttpStatusCode.Conflict or HttpStatusCode.TooManyRequests => StripeFailureKind.Unavailable,
        >= HttpStatusCode.InternalServerError => StripeFailureKind.Unavailable,
        _ => StripeFailureKind.Rejected,
    };
}
