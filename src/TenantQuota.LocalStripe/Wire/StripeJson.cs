using System.Text.Encodings.Web;
using System.Text.Json;

namespace TenantQuota.LocalStripe.Wire;

internal static class StripeJson
{
    /// <summary>Indented like Stripe's answers; quotes and non-ASCII as themselves (the bodies are JSON, never HTML).</summary>
    public static readonly JsonSerializerOptions Options = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
}
