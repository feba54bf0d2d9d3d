using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace TenantQuota.Client;

/// <summary>
/// The TenantQuota API for a back end (API-v1): check, consume, reserve, commit and release, a subject's usage, and view
/// tokens for the embeddable meter. Each call carries a token from <see cref="AccessTokens"/>; a consume or reserve
/// without an idempotency key gets one, so the caller can send the same <see cref="QuotaRequest"/> again safely.
/// </summary>
public sealed class TenantQuotaClient(HttpClient http, AccessTokens tokens)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>A client over <paramref name="http"/> (its BaseAddress is set from <paramref name="options"/>).</summary>
    public static TenantQuotaClient Create(HttpClient http, TenantQuotaClientOptions options, TimeProvider? clock = null)
    {
        http.BaseAddress = options.BaseAddress;
        return new TenantQuotaClient(http, new AccessTokens(http, options, clock));
    }

    /// <summary>May this subject do this now? Records nothing.</summary>
    public Task<QuotaDecision> CheckAsync(QuotaRequest request, CancellationToken cancellationToken = default) =>
        SendAsync<QuotaDecision>(HttpMethod.Post, "v1/entitlements/check", request with { IdempotencyKey = null }, cancellationToken);

    /// <summary>Decides and, when allowed, records; the same key answers the first answer again.</summary>
    public Task<QuotaDecision> ConsumeAsync(QuotaRequest request, CancellationToken cancellationToken = default) =>
        SendAsync<QuotaDecision>(HttpMethod.Post, "v1/entitlements/consume", Keyed(request), cancellationToken);

    /// <summary>Holds an estimate until <see cref="CommitAsync"/> or <see cref="ReleaseAsync"/> (or its expiry).</summary>
    public Task<QuotaDecision> ReserveAsync(QuotaRequest request, CancellationToken cancellationToken = default) =>
        SendAsync<QuotaDecision>(HttpMethod.Post, "v1/entitlements/reserve", Keyed(request), cancellationToken);

    public Task<QuotaDecision> CommitAsync(string reservationId, CommitRequest actual, CancellationToken cancellationToken = default) =>
        SendAsync<QuotaDecision>(HttpMethod.Post, $"v1/reservations/{Uri.EscapeDataString(reservationId)}/commit", actual, cancellationToken);

    public Task<JsonElement> ReleaseAsync(string reservationId, CancellationToken cancellationToken = default) =>
        SendAsync<JsonElement>(HttpMethod.Post, $"v1/reservations/{Uri.EscapeDataString(reservationId)}/release", null, cancellationToken);

    public Task<SubjectUsage> UsageAsync(string subjectId, CancellationToken cancellationToken = default) =>
        SendAsync<SubjectUsage>(HttpMethod.Get, $"v1/subjects/{Uri.EscapeDataString(subjectId)}/usage", null, cancellationToken);

    /// <summary>A token the browser's meter can read this subject's usage with, and nothing else.</summary>
    public Task<ViewToken> CreateViewTokenAsync(string subjectId, CancellationToken cancellationToken = default) =>
        SendAsync<ViewToken>(HttpMethod.Post, $"v1/subjects/{Uri.EscapeDataString(subjectId)}/view-tokens", new { }, cancellationToken);

    private static QuotaRequest Keyed(QuotaRequest request) =>
        request.IdempotencyKey is null ? request with { IdempotencyKey = Guid.NewGuid().ToString("N") } : request;

    private async Task<T> SendAsync<T>(HttpMethod method, string path, object? body, CancellationToken cancellationToken)
    {
        using var message = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body, body.GetType(), options: Json) };
        message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await tokens.GetAsync(cancellationToken));
        using var response = await http.SendAsync(message, cancellationToken);
        if (!response.IsSuccessStatusCode)
            throw new TenantQuotaException($"{method} /{path} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancellationToken)}",
                (int)response.StatusCode);
        return await response.Content.ReadFromJsonAsync<T>(Json, cancellationToken)
               ?? throw new TenantQuotaException($"{method} /{path} answered an empty body.", (int)response.StatusCode);
    }
}
