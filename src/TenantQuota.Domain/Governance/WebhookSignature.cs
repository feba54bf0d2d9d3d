using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace TenantQuota.Domain.Governance;

/// <summary>
/// <c>Tq-Signature: t=&lt;unix seconds&gt;,v1=&lt;hex HMAC-SHA256 of "&lt;t&gt;.&lt;raw body&gt;" with the endpoint's secret&gt;</c>,
/// in the style of Stripe's webhook signatures: the time is signed with the body, so a receiver that refuses
/// old times (<see cref="Tolerance"/>) cannot be sent a captured delivery again later. docs/webhooks.md shows
/// a receiver's check in a few lines.
/// </summary>
public static class WebhookSignature
{
    public const string Header = "Tq-Signature";
    public static readonly TimeSpan Tolerance = TimeSpan.FromSeconds(300);

    public static string Sign(string secret, DateTimeOffset at, string body)
    {
        var t = at.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        return $"t={t},v1={Hex(secret, t, body)}";
    }

    /// <summary>A receiver's check: the header is well formed, its time within the tolerance of now, and a v1 signature matches.</summary>
    public static bool Verify(string? header, string secret, string body, DateTimeOffset now)
    {
        if (string.IsNullOrEmpty(header)) return false;
        string? t = null;
        var signatures = new List<string>();
        foreach (var part in header.Split(','))
        {
            var (key, value) = part.Split('=', 2) is [var k, var v] ? (k.Trim(), v.Trim()) : ("", "");
            if (key == "t") t = value;
            else if (key == "v1") signatures.Add(value);
        }
        if (t is null || !long.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)) return false;
        if ((now - DateTimeOffset.FromUnixTimeSeconds(seconds)).Duration() > Tolerance) return false;
        var expected = Encoding.ASCII.GetBytes(Hex(secret, t, body));
        return signatures.Any(s => CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(s), expected));
    }

    private static string Hex(string secret, string t, string body) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes($"{t}.{body}")));
}
