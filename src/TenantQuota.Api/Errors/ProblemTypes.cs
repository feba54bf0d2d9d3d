namespace TenantQuota.Api.Errors;

/// <summary>
/// Stable <c>type</c> URIs of our problem+json answers; clients may switch on them. Every status we
/// answer has a type of its own, so a transient outage (503) never looks like a bug (500).
/// </summary>
public static class ProblemTypes
{
    private const string Base = "https://docs.tenantquota.dev/problems/";
    public const string Validation = Base + "validation";
    public const string MalformedBody = Base + "malformed-body";
    public const string BadRequest = Base + "bad-request";
    public const string Unauthorized = Base + "unauthorized";
    public const string Forbidden = Base + "forbidden";
    public const string TenantNotProvisioned = Base + "tenant-not-provisioned";
    public const string NotFound = Base + "not-found";
    public const string MethodNotAllowed = Base + "method-not-allowed";
    public const string NotAcceptable = Base + "not-acceptable";
    public const string RequestTimeout = Base + "request-timeout";
    public const string IdempotencyConflict = Base + "idempotency-conflict";
    /// <summary>Commit of a reservation whose time ran out: its hold was freed, nothing can be recorded against it.</summary>
    public const string ReservationExpired = Base + "reservation-expired";
    /// <summary>Commit of a released reservation.</summary>
    public const string ReservationReleased = Base + "reservation-released";
    /// <summary>Release of a committed reservation, or a second commit with another amount.</summary>
    public const string ReservationCommitted = Base + "reservation-committed";
    public const string AlreadyExists = Base + "already-exists";
    public const string LengthRequired = Base + "length-required";
    public const string PayloadTooLarge = Base + "payload-too-large";
    public const string UriTooLong = Base + "uri-too-long";
    public const string UnsupportedMediaType = Base + "unsupported-media-type";
    public const string HeadersTooLarge = Base + "headers-too-large";
    public const string Internal = Base + "internal";
    public const string ServiceUnavailable = Base + "service-unavailable";

    /// <summary>The type of an answer that did not name one; unknown statuses still get a stable one.</summary>
    public static string ForStatus(int status) => status switch
    {
        400 => BadRequest,
        401 => Unauthorized,
        403 => Forbidden,
        404 => NotFound,
        405 => MethodNotAllowed,
        406 => NotAcceptable,
        408 => RequestTimeout,
        411 => LengthRequired,
        413 => PayloadTooLarge,
        414 => UriTooLong,
        415 => UnsupportedMediaType,
        431 => HeadersTooLarge,
        500 => Internal,
        503 => ServiceUnavailable,
        _ => Base + "http-" + status,
    };
}
