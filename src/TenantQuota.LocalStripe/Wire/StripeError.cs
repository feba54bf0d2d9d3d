using System.Text.Json.Nodes;

namespace TenantQuota.LocalStripe.Wire;

/// <summary>
/// An answer in Stripe's error shape, <c>{"error": {type, code?, message, param?}}</c> (NOTES.md §5).
/// Thrown by the decoder, the validator and the resource handlers; the pipeline turns it into a reply.
/// </summary>
internal sealed class StripeError(int status, string type, string message, string? param = null, string? code = null)
    : Exception(message)
{
    public int Status { get; } = status;
    public string Type { get; } = type;
    public string? Param { get; } = param;
    public string? Code { get; } = code;

    /// <summary>Extra response headers, e.g. <c>Stripe-Should-Retry: false</c>.</summary>
    public Dictionary<string, string> Headers { get; } = new(StringComparer.OrdinalIgnoreCase);

    public static StripeError InvalidRequest(string message, string? param = null, string? code = null) =>
        new(400, "invalid_request_error", message, param, code);

    /// <summary>An object named by a parameter does not exist (400, as Stripe answers for references in a body).</summary>
    public static StripeError NoSuch(string resource, string id, string param) =>
        new(400, "invalid_request_error", $"No such {resource}: '{id}'", param, "resource_missing");

    /// <summary>The object in the URL does not exist (404).</summary>
    public static StripeError NotFound(string resource, string id) =>
        new(404, "invalid_request_error", $"No such {resource}: '{id}'", "id", "resource_missing");

    /// <summary>A real Stripe parameter or mode that this stand-in does not implement: said out loud, never ignored.</summary>
    public static StripeError NotImplemented(string what, string? param = null) =>
        new(400, "invalid_request_error", $"LocalStripe does not implement {what}.", param, "localstripe_unsupported");

    public JsonObject ToJson() => Body(Type, Message, Param, Code);

    public static JsonObject Body(string type, string message, string? param = null, string? code = null)
    {
        var error = new JsonObject { ["type"] = type };
        if (code is not null) error["code"] = code;
        error["message"] = message;
        if (param is not null) error["param"] = param;
        return new JsonObject { ["error"] = error };
    }
}
