using System.Security.Cryptography;
using System.Text;
using Stripe;

namespace TenantQuota.Billing;

/// <summary>
/// The Idempotency-Key of every POST we send to Stripe, derived from our own ids and never random
/// (Stripe.net would otherwise send a random one per call): the same intent is the same key, so a
/// retry of ours, of Stripe.net's or of a second process is one request to Stripe; a different intent
/// (other parameters) is a different key, so Stripe never answers idempotency_error for a change we
/// mean. Stripe keeps keys for at least 24 h; past that our own stored ids are the guard.
/// </summary>
public static class IdempotencyKeys
{
    /// <summary>The tenant's Stripe customer: one per tenant, ever.</summary>
    public static RequestOptions Customer(string tenantId) => Key($"customer-{tenantId}");

    public static RequestOptions CreateProduct(string key, string matrixVersion) => Key($"catalog-product-{key}-{matrixVersion}");

    /// <summary>An update is keyed by what it sets: the same update twice is one request.</summary>
    public static RequestOptions UpdateProduct(string productId, params string?[] state) => Key($"catalog-product-update-{productId}-{Digest(state)}");

    /// <summary>
    /// A price is keyed by what it is and by the price it replaces (none the first time): coming back to an
    /// earlier amount is a new price, not a replay of the first one (which lost its lookup key meanwhile).
    /// </summary>
    public static RequestOptions CreatePrice(string key, string currency, long unitAmount, string? meterId, string? replacesPriceId) =>
        Key($"catalog-price-{key}-{currency}-{unitAmount}{(meterId is null ? "" : "-" + meterId)}-after-{replacesPriceId ?? "none"}");

    public static RequestOptions ArchivePrice(string priceId) => Key($"catalog-price-archive-{priceId}");

    public static RequestOptions CreateMeter(string eventName) => Key($"catalog-meter-{eventName}");

    public static RequestOptions UpdateMeter(string meterId, string displayName) => Key($"catalog-meter-update-{meterId}-{Digest(displayName)}");

    public static RequestOptions ReactivateMeter(string meterId) => Key($"catalog-meter-reactivate-{meterId}");

    /// <summary>
    /// One Checkout Session per incoming request: <paramref name="requestId"/> is minted by the API for
    /// each request it receives (the client cannot choose it), so two clicks are two sessions while every
    /// retry of one request is the same session.
    /// </summary>
    public static RequestOptions Checkout(string tenantId, string tier, Guid requestId) => Key($"checkout-{tenantId}-{tier}-{requestId:N}");

    public static RequestOptions Portal(string tenantId, Guid requestId) => Key($"portal-{tenantId}-{requestId:N}");

    private static RequestOptions Key(string key) => new() { IdempotencyKey = key.Length <= 255 ? key : key[..200] + "-" + Digest(key) };

    private static string Digest(params string?[] parts) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\u001f', parts.Select(p => p ?? "")))))[..16];
}
