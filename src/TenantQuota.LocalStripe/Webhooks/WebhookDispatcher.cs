using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Microsoft.Extensions.Options;
using Stripe;
using TenantQuota.LocalStripe.Wire;

namespace TenantQuota.LocalStripe.Webhooks;

/// <summary>One event to one endpoint, and every attempt at it (GET /_webhooks).</summary>
internal sealed class Delivery(string eventId, string type, string url, bool test)
{
    public string EventId { get; } = eventId;
    public string Type { get; } = type;
    public string Url { get; } = url;
    public bool Test { get; } = test;
    public List<DeliveryAttempt> Attempts { get; } = [];
    public bool Delivered => Attempts.Any(a => a.Status is >= 200 and < 300);
}

internal sealed record DeliveryAttempt(DateTimeOffset At, string Signature, int? Status, string? Error);

/// <summary>
/// Sends events to the webhook endpoints: signed anew at each attempt, first attempts in the order the
/// events happened, a failed attempt (network error, timeout, non-2xx) retried after
/// LocalStripe:WebhookRetryDelay, doubling, up to LocalStripe:WebhookMaxAttempts. Retries do not hold
/// back later events, so a retried event can arrive after newer ones, as at Stripe.
/// </summary>
internal sealed class WebhookDispatcher(IOptions<LocalStripeSettings> options, IHttpClientFactory httpClients, TimeProvider clock,
    ILogger<WebhookDispatcher> logger) : BackgroundService
{
    public const string HttpClientName = "LocalStripe.Webhooks";

    private readonly Channel<(Delivery Delivery, string Body, int Attempt)> _queue = Channel.CreateUnbounded<(Delivery, string, int)>();
    private readonly Lock _gate = new();
    private readonly List<Delivery> _deliveries = [];
    private List<string> _endpoints = [.. options.Value.WebhookUrls];
    private LocalStripeSettings Settings => options.Value;

    public string ApiVersion => Settings.ApiVersion is { Length: > 0 } version ? version : StripeConfiguration.ApiVersion;

    public IReadOnlyList<string> Endpoints
    {
        get { lock (_gate) return _endpoints.ToList(); }
    }

    public void SetEndpoints(IEnumerable<string> urls)
    {
        lock (_gate) _endpoints = [.. urls];
    }

    /// <summary>Turns a call's emitted events into stored event objects. Runs inside the store's lock, so events are in order.</summary>
    public IReadOnlyList<JsonObject> Record(StripeCall call)
    {
        var pending = Endpoints.Count;
        return call.Emitted
            .Select(e => call.Store.Add(StripeEvents.Create(e.Type, e.Object, e.Previous, call.Unix, ApiVersion, pending, call.RequestId, call.IdempotencyKey)))
            .ToList();
    }

    /// <summary>Queues the events for every endpoint. The body is fixed now; the signature is made per attempt.</summary>
    public void Publish(IReadOnlyList<JsonObject> events)
    {
        var endpoints = Endpoints;
        foreach (var evt in events)
        {
            var body = Serialize(evt);
            foreach (var url in endpoints)
            {
                var delivery = new Delivery((string)evt["id"]!, (string)evt["type"]!, url, test: false);
                lock (_gate) _deliveries.Add(delivery);
                _queue.Writer.TryWrite((delivery, body, 1));
            }
        }
    }

    public static string Serialize(JsonNode evt) => evt.ToJsonString(StripeJson.Options);

    /// <summary>One attempt, now, with no retry (POST /_webhooks/send-test). The body is sent as given.</summary>
    public async Task<(DeliveryAttempt Attempt, string? ResponseBody)> SendOnceAsync(string url, string body, string signature, string eventId, string type, CancellationToken cancellationToken)
    {
        var delivery = new Delivery(eventId, type, url, test: true);
        lock (_gate) _deliveries.Add(delivery);
        return await AttemptAsync(delivery, body, signature, cancellationToken);
    }

    public string Sign(string body, long? timestamp = null, IEnumerable<string>? secrets = null) =>
        WebhookSignature.Header(body, timestamp ?? clock.GetUtcNow().ToUnixTimeSeconds(), secrets ?? Settings.WebhookSecrets);

    public IReadOnlyList<object> Snapshot()
    {
        lock (_gate)
            return _deliveries.Select(d => (object)new
            {
                d.EventId, d.Type, d.Url, d.Test, d.Delivered,
                Attempts = d.Attempts.Select(a => new { a.At, a.Status, a.Error }).ToList(),
            }).ToList();
    }

    public void Clear()
    {
        lock (_gate) _deliveries.Clear();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await foreach (var (delivery, body, attempt) in _queue.Reader.ReadAllAsync(stoppingToken))
        {
            var (result, _) = await AttemptAsync(delivery, body, Sign(body), stoppingToken);
            if (result.Status is >= 200 and < 300 || attempt >= Settings.WebhookMaxAttempts) continue;

            var wait = Settings.WebhookRetryDelay * Math.Pow(2, attempt - 1);
            _ = RetryLaterAsync(delivery, body, attempt + 1, wait, stoppingToken);
        }
    }

    private async Task RetryLaterAsync(Delivery delivery, string body, int attempt, TimeSpan wait, CancellationToken stoppingToken)
    {
        try
        {
            await Task.Delay(wait, clock, stoppingToken);
            _queue.Writer.TryWrite((delivery, body, attempt));
        }
        catch (OperationCanceledException)
        {
            // Shutting down: the delivery stays failed in GET /_webhooks.
        }
    }

    private async Task<(DeliveryAttempt Attempt, string? ResponseBody)> AttemptAsync(Delivery delivery, string body, string signature, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Settings.WebhookTimeout);
        DeliveryAttempt attempt;
        string? responseBody = null;
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, delivery.Url)
            {
                Content = new StringContent(body, Encoding.UTF8, new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" }),
            };
            request.Headers.TryAddWithoutValidation("Stripe-Signature", signature);
            request.Headers.TryAddWithoutValidation("User-Agent", "Stripe/1.0 (+https://stripe.com/docs/webhooks) LocalStripe");
            using var response = await httpClients.CreateClient(HttpClientName).SendAsync(request, timeout.Token);
            responseBody = await response.Content.ReadAsStringAsync(timeout.Token);
            attempt = new DeliveryAttempt(clock.GetUtcNow(), signature, (int)response.StatusCode, null);
        }
        catch (Exception error) when (!cancellationToken.IsCancellationRequested)
        {
            attempt = new DeliveryAttempt(clock.GetUtcNow(), signature, null, error is OperationCanceledException ? "timed out" : error.Message);
        }

        lock (_gate) delivery.Attempts.Add(attempt);
        if (attempt.Status is >= 200 and < 300)
            logger.LogInformation("Webhook {Type} {EventId} → {Url}: {Status}", delivery.Type, delivery.EventId, delivery.Url, attempt.Status);
        else
            logger.LogWarning("Webhook {Type} {EventId} → {Url} failed (attempt {Attempt}): {Outcome}", delivery.Type, delivery.EventId, delivery.Url,
                delivery.Attempts.Count, attempt.Status?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? attempt.Error);
        return (attempt, responseBody);
    }
}
