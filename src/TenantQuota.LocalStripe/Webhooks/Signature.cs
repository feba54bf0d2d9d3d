using System.Security.Cryptography;
using System.Text;

namespace TenantQuota.LocalStripe.Webhooks;

/// <summary>
/// The Stripe-Signature header (NOTES.md §8): <c>t=&lt;unix&gt;,v1=&lt;hex&gt;[,v1=…]</c>, where each v1 is the
/// lowercase hex HMAC-SHA256 of <c>"{t}.{body}"</c> keyed with the whole <c>whsec_…</c> string (UTF-8, not
/// base64-decoded); one v1 per secret.
/// </summary>
public static class WebhookSignature
{
    public static string Header(string payload, long timestamp, IEnumerable<string> secrets) =>
        $"t={timestamp}," + string.Join(',', secrets.Select(secret => $"v1={Compute(payload, timestamp, secret)}"));

    public static string Compute(string payload, long timestamp, string secret) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes($"{timestamp}.{payload}")));
}
