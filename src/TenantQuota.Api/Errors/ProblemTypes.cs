namespace TenantQuota.Api.Errors;

/// <summary>Stable <c>type</c> URIs of our problem+json answers; clients may switch on them.</summary>
public static class ProblemTypes
{
    private const string Base = "https://docs.tenantquota.dev/problems/";
    public const string Validation = Base + "validation";
    public const string MalformedBody = Base + "malformed-body";
    public const string Unauthorized = Base + "unauthorized";
    public const string Forbidden = Base + "forbidden";
    public const string TenantNotProvisioned = Base + "tenant-not-provisioned";
    public const string NotFound = Base + "not-found";
    public const string MethodNotAllowed = Base + "method-not-allowed";
    public const string IdempotencyConflict = Base + "idempotency-conflict";
    public const string AlreadyExists = Base + "already-exists";
    public const string PayloadTooLarge = Base + "payload-too-large";
    public const string UnsupportedMediaType = Base + "unsupported-media-type";
    public const string Internal = Base + "internal";

    public static string ForStatus(int status) => status switch
    {
        400 => Validation,
        401 => Unauthorized,
        403 => Forbidden,
        404 => NotFound,
        405 => MethodNotAllowed,
        409 => IdempotencyConflict,
        413 => PayloadTooLarge,
        415 => UnsupportedMediaType,
        _ => Internal,
    };
}
