using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json.Serialization;
using TenantQuota.Domain;
using TenantQuota.Domain.Budgets;
using TenantQuota.Domain.Matrix;
using TenantQuota.Domain.Prices;

namespace TenantQuota.Api.Entitlements;

/// <summary>Which endpoint a body is for: what it must and may carry.</summary>
public enum EntitlementMode { Check, Consume, Reserve }

/// <summary>Tokens of an LLM call: what a class counted in tokens counts, and what a model's price applies to.</summary>
public sealed class TokenCounts
{
    public long? Input { get; init; }
    public long? Output { get; init; }
}

/// <summary>The body of check, consume and reserve (consume and reserve add the idempotency key, reserve a time to live).</summary>
public sealed class EntitlementRequest
{
    public const int MaxIdLength = 200;
    /// <summary>Bigger than any real single operation, far below where sums could overflow.</summary>
    public const long MaxQuantity = 1_000_000;
    /// <summary>Per direction, per call: beyond any model's context, far below where costs could overflow.</summary>
    public const long MaxTokens = 100_000_000;
    public const int DefaultTtlSeconds = 300;
    public static readonly int MaxTtlSeconds = (int)QuotaWindow.LongestHold.TotalSeconds;

    public string? SubjectId { get; init; }
    public string? OperationClass { get; init; }
    /// <summary>Optional; one operation when omitted.</summary>
    public long? Quantity { get; init; }
    public string? IdempotencyKey { get; init; }
    /// <summary>Optional: the model an LLM call used, priced from config/prices.yaml for dollar budgets.</summary>
    public string? Model { get; init; }
    public TokenCounts? Tokens { get; init; }
    /// <summary>Reserve only: how long the hold lasts unless committed or released (1–86400 s, default 300).</summary>
    public int? TtlSeconds { get; init; }

    [JsonIgnore]
    public long InputTokens => Tokens?.Input ?? 0;

    [JsonIgnore]
    public long OutputTokens => Tokens?.Output ?? 0;

    /// <summary>The amount in the class's unit: the quantity given; for a class counted in tokens, the tokens; else one operation.</summary>
    public long QuantityFor(OperationClass operationClass) =>
        Quantity ?? (operationClass.Unit == Budget.Tokens && Tokens is not null ? InputTokens + OutputTokens : 1);

    /// <summary>Field → messages for everything wrong with the request; empty when it can be served.</summary>
    public static Dictionary<string, string[]> Validate(EntitlementRequest? request, QuotaMatrix matrix, PriceTable prices, EntitlementMode mode)
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
        var countsTokens = matrix.TryGetClass(request.OperationClass, out var known) && known.Unit == Budget.Tokens;
        var maxQuantity = countsTokens ? 2 * MaxTokens : MaxQuantity;
        if (request.Quantity is { } quantity && (quantity < 1 || quantity > maxQuantity))
            errors["quantity"] = [$"quantity must be a whole number from 1 to {maxQuantity}."];
        if (request.Model is { } model && !prices.Knows(model))
            errors["model"] = [$"Unknown model '{Truncate(model)}'. Known models: {string.Join(", ", prices.Models.Order(StringComparer.Ordinal))}."];
        if (request.Tokens is { } tokens)
        {
            if (tokens.Input is < 0 or > MaxTokens) errors["tokens.input"] = [$"tokens.input must be a whole number from 0 to {MaxTokens}."];
            if (tokens.Output is < 0 or > MaxTokens) errors["tokens.output"] = [$"tokens.output must be a whole number from 0 to {MaxTokens}."];
        }
        if (countsTokens && !errors.ContainsKey("quantity") && !errors.ContainsKey("tokens.input") && !errors.ContainsKey("tokens.output"))
        {
            var total = request.InputTokens + request.OutputTokens;
            if (request.Quantity is null && (request.Tokens is null || total < 1))
                errors["tokens"] = [$"'{request.OperationClass}' is counted in tokens: give tokens {{ input, output }} (at least 1 in all) or a quantity."];
            else if (request.Quantity is { } given && request.Tokens is not null && given != total)
                errors["quantity"] = [$"quantity {given} differs from the tokens given ({total}); give one or make them agree."];
        }
        if (mode != EntitlementMode.Check && ValidateId(request.IdempotencyKey, "idempotencyKey") is { } keyError)
            errors["idempotencyKey"] = [keyError];
        if (request.TtlSeconds is { } ttl && (mode != EntitlementMode.Reserve || ttl < 1 || ttl > MaxTtlSeconds))
            errors["ttlSeconds"] = [mode == EntitlementMode.Reserve
                ? $"ttlSeconds must be a whole number of seconds from 1 to {MaxTtlSeconds}."
                : "ttlSeconds is for reserve only."];
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
