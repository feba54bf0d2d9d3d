using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json.Serialization;
using TenantQuota.Domain.Matrix;

namespace TenantQuota.Api.Entitlements;

/// <summary>The body of check and consume (consume adds the idempotency key).</summary>
public sealed class EntitlementRequest
{
    public const int MaxIdLength = 200;
    /// <summary>Bigger than any real single operation, far below where sums could overflow.</summary>
    public const long MaxQuantity = 1_000_000;

    public string? SubjectId { get; init; }
    public string? OperationClass { get; init; }
    /// <summary>Optional; one operation when omitted.</summary>
    public long? Quantity { get; init; }
    public string? IdempotencyKey { get; init; }

    [JsonIgnore]
    public long QuantityOrOne => Quantity ?? 1;

    /// <summary>Field → messages for everything wrong with the request; empty when it can be served.</summary>
    public static Dictionary<string, string[]> Validate(EntitlementRequest? request, QuotaMatrix matrix, bool requireIdempotencyKey)
    {
        var errors = new Dictionary<string, string[]>();
        if (request is null)
        {
            errors["body"] = ["A JSON body is required."];
            return errors;
        }
        if (ValidateSubjectId(request.SubjectId) is { } subjectError) errors["subjectId"] = [subjectError];
        if (string.IsNullOrEmpty(request.OperationClass))
            errors["operationClass"] = ["operationClass is required."];
        else if (!matrix.TryGetClass(request.OperationClass, out _))
            errors["operationClass"] = [$"Unknown operation class '{Truncate(request.OperationClass)}'. Known classes: {string.Join(", ", matrix.OperationClasses.Select(c => c.Name))}."];
        if (request.Quantity is { } quantity && quantity is < 1 or > MaxQuantity)
            errors["quantity"] = [$"quantity must be a whole number from 1 to {MaxQuantity}."];
        if (requireIdempotencyKey && ValidateId(request.IdempotencyKey, "idempotencyKey") is { } keyError)
            errors["idempotencyKey"] = [keyError];
        return errors;
    }

    /// <summary>
    /// Subject ids and idempotency keys: 1–200 characters (Unicode code points), and only characters
    /// a person can see and tell apart: no control, format (U+200F, U+202E, U+FEFF …) or separator
    /// characters (spaces, U+2028), no lone surrogates.
    /// </summary>
    public static string? ValidateId(string? value, string field)
    {
        if (string.IsNullOrEmpty(value)) return $"{field} is required and must not be blank.";
        var length = 0;
        for (var i = 0; i < value.Length;)
        {
            if (Rune.DecodeFromUtf16(value.AsSpan(i), out var rune, out var consumed) != OperationStatus.Done)
                return $"{field} is not valid Unicode text (it holds a lone surrogate).";
            i += consumed;
            if (Forbidden(Rune.GetUnicodeCategory(rune)))
                return $"{field} must not contain control, format or separator characters (found U+{rune.Value:X4} at position {length + 1}).";
            if (++length > MaxIdLength) return $"{field} must be at most {MaxIdLength} characters.";
        }
        return null;
    }

    /// <summary>
    /// A subject id as read back (GET …/usage): what older versions accepted still reads, so only
    /// the basics apply here (1–200 characters, no control characters); the stricter rule is for
    /// ids being written.
    /// </summary>
    public static string? ValidateSubjectIdToRead(string? value)
    {
        if (string.IsNullOrEmpty(value)) return "subjectId is required and must not be blank.";
        if (value.EnumerateRunes().Count() > MaxIdLength) return $"subjectId must be at most {MaxIdLength} characters.";
        return value.Any(char.IsControl) ? "subjectId must not contain control characters." : null;
    }

    public static string? ValidateSubjectId(string? value) =>
        ValidateId(value, "subjectId") ?? (value is "." or ".."
            ? "subjectId must not be '.' or '..': a URL cannot name them, so their usage could never be read back."
            : null);

    private static bool Forbidden(UnicodeCategory category) => category is
        UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.SpaceSeparator or
        UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator;

    private static string Truncate(string value) => value.Length <= 64 ? value : value[..64] + "…";
}
