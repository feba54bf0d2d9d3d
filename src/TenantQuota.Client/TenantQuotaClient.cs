using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace TenantQuota.Client;

/// <summary>
/// The TenantQuota API for a back end (API-v1): check, consume, reserve, commit and release, a subject's usage, and view
/// tokens for the embeddable meter. Each call carries a token from <see cref="AccessTokens"/>; a consume or reserve
/// without an idempotency key gets one, so the caller can send the same <see cref="QuotaRequest"/> again safely.
/// </summary>
public sealed class TenantQuotaClient(HttpClient http, AccessTokens tokens, TenantQuotaClientOptions options)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>A client over <paramref name="http"/> (its BaseAddress is set from <paramref name="options"/>).</summary>
    public static TenantQuotaClient Create(HttpClient http, TenantQuotaClientOptions options, TimeProvider? clock = null)
    {
        http.BaseAddress = options.BaseAddress;
        return new TenantQuotaClient(http, new AccessTokens(http, options, clock), options);
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

    /// <summary>
    /// One call, tried again on 429, 503 and network errors with the same body (so the same idempotency key: a consume whose
    /// answer was lost is answered again, not charged again), never on another refusal.
    /// </summary>
    private async Task<T> SendAsync<T>(HttpMethod method, string path, object? body, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            HttpResponseMessage response;
            try
            {
                using var message = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body, body.GetType(), options: Json) };
                message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await tokens.GetAsync(cancellationToken));
                response = await http.SendAsync(message, cancellationToken);
            }
            catch (HttpRequestException) when (attempt < options.MaxAttempts)
            {
                await Task.Delay(Backoff(attempt, retryAfter: null), cancellationToken);
                continue;
            }
            using (response)
            {
                if (response.StatusCode is System.Net.HttpStatusCode.TooManyRequests or System.Net.HttpStatusCode.ServiceUnavailable
                    && attempt < options.MaxAttempts && Backoff(attempt, RetryAfter(response)) is var wait && wait <= options.MaxRetryDelay)
                {
                    await Task.Delay(wait, cancellationToken);
                    continue;
                }
                return await ReadAsync<T>(method, path, response, cancellationToken);
            }
        }
    }

    /// <summary>What the answer's Retry-After asks for, or the doubling backoff with full jitter (a random part of it, so callers spread out).</summary>
    private TimeSpan Backoff(int attempt, TimeSpan? retryAfter) => retryAfter is { } asked
        ? (asked < TimeSpan.Zero ? TimeSpan.Zero : asked)
        : TimeSpan.FromTicks((long)(Math.Min(options.RetryBaseDelay.Ticks * Math.Pow(2, attempt - 1), options.MaxRetryDelay.Ticks) * Random.Shared.NextDouble()));

    private static TimeSpan? RetryAfter(HttpResponseMessage response) =>
        response.Headers.RetryAfter?.Delta ?? (response.Headers.RetryAfter?.Date is { } at ? at - DateTimeOffset.UtcNow : null);

    private static async Task<T> ReadAsync<T>(HttpMethod method, string path, HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (!response.IsSuccessStatusCode)
            throw new TenantQuotaException($"{method} /{path} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancellationToken)}",
                (int)response.StatusCode);
        return await response.Content.ReadFromJsonAsync<T>(Json, cancellationToken)
               ?? throw new TenantQuotaException($"{method} /{path} answered an empty body.", (int)response.StatusCode);
    }
}
