using System.Security.Cryptography;

namespace TenantQuota.LocalStripe.Wire;

/// <summary>Stripe-looking ids: a prefix (<c>cus_</c>, <c>price_</c>, <c>cs_test_</c>, …) and random base62.</summary>
internal static class Ids
{
    private const string Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    public static string New(string prefix, int length = 24) =>
        $"{prefix}_{new string(RandomNumberGenerator.GetItems<char>(Alphabet, length))}";
}
