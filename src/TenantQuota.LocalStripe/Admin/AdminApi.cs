using System.Text.Json;
using System.Text.Json.Nodes;
using TenantQuota.LocalStripe.Webhooks;
using TenantQuota.LocalStripe.Wire;

namespace TenantQuota.LocalStripe.Admin;

/// <summary>
/// LocalStripe's own endpoints for tests and the demo, under /_ (no authentication: it binds to
/// loopback by default). JSON in camelCase. Stripe has nothing like them.
/// </summary>
internal static class AdminApi
{
    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapPost("/_faults", AddFault);
        app.MapGet("/_faults", (FaultInjector faults) => faults.Pending());
        app.MapDelete("/_faults", (FaultInjector faults) => { faults.Clear(); return Results.NoContent(); });
        app.MapGet("/_requests", Requests);
        app.MapGet("/_meter_events", MeterEvents);
        app.MapPost("/_reset", Reset);
        app.MapGet("/_webhooks", (WebhookDispatcher webhooks) => webhooks.Snapshot());
        app.MapGet("/_webhooks/endpoints", (WebhookDispatcher webhooks) => new { urls = webhooks.Endpoints });
        app.MapPut("/_webhooks/endpoints", SetEndpoints);
        app.MapPost("/_webhooks/send-test", SendTestAsync);
    }

    private static IResult AddFault(Fault fault, FaultInjector faults)
    {
        try
        {
            return Results.Created("/_faults", faults.Add(fault));
        }
        catch (ArgumentException error)
        {
            return Results.Problem(error.Message, statusCode: 400);
        }
    }

    /// <summary>The v1 requests received, oldest first; <c>?path=/v1/billing</c> keeps those whose path starts so.</summary>
    private static IEnumerable<object> Requests(RequestLog log, string? path) =>
        log.Snapshot()
            .Where(r => path is null || r.Path.StartsWith(path, StringComparison.Ordinal))
            .Select(r => new
            {
                r.RequestId, r.At, r.Method, r.Path, r.IdempotencyKey, r.StripeVersion, r.Auth,
                Params = r.Params.GroupBy(p => p.Key).ToDictionary(g => g.Key, g => g.Last().Value),
                r.Status, r.Note, r.ErrorType,
            });

    /// <summary>Every meter event accepted (oldest first), each with how many same-identifier duplicates were refused.</summary>
    private static object MeterEvents(StripeStore store)
    {
        lock (store.Gate)
        {
            return new
            {
                Accepted = store.MeterEvents.Count,
                DuplicatesRefused = store.MeterEvents.Sum(e => e.DuplicatesSeen),
                Events = store.MeterEvents.Select(e => new
                {
                    e.Identifier, e.EventName, e.Payload, e.Timestamp, e.ReceivedAt, e.RequestId, e.DuplicatesSeen,
                }).ToList(),
            };
        }
    }

    /// <summary>Forgets every object, event, idempotency key, fault, logged request and delivery. Webhook endpoints stay.</summary>
    private static IResult Reset(StripeStore store, IdempotencyStore idempotency, FaultInjector faults, RequestLog log, WebhookDispatcher webhooks)
    {
        lock (store.Gate) store.Clear();
        idempotency.Clear();
        faults.Clear();
        log.Clear();
        webhooks.Clear();
        return Results.NoContent();
    }

    internal sealed record EndpointList(string[] Urls);

    private static IResult SetEndpoints(EndpointList body, WebhookDispatcher webhooks)
    {
        if (body.Urls.FirstOrDefault(u => !Uri.TryCreate(u, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")) is { } bad)
            return Results.Problem($"Not an absolute http(s) URL: '{bad}'.", statusCode: 400);
        webhooks.SetEndpoints(body.Urls);
        return Results.Ok(new { urls = webhooks.Endpoints });
    }

    /// <summary>
    /// POST /_webhooks/send-test: sends one signed event now, once, without retries, and answers what each
    /// endpoint said. The body sent is <c>payload</c> (raw text, byte for byte) or <c>event</c> (JSON) or an
    /// event LocalStripe builds from <c>type</c> and <c>object</c>. Tampering: <c>signedPayload</c> is signed
    /// instead of what is sent; <c>timestamp</c> replaces t; <c>secret</c> signs with another secret;
    /// <c>signature</c> replaces the whole Stripe-Signature header. <c>url</c> targets one URL instead of
    /// the configured endpoints. Replay and reorder: send the same or older payloads again.
    /// </summary>
    internal sealed record SendTest(string? Payload, JsonObject? Event, string? Type, JsonObject? Object, string? SignedPayload,
        long? Timestamp, string? Secret, string? Signature, string? Url);

    private static async Task<IResult> SendTestAsync(SendTest request, WebhookDispatcher webhooks, TimeProvider clock, CancellationToken cancellationToken)
    {
        var payload = request.Payload ?? (request.Event is { } given ? WebhookDispatcher.Serialize(given) : null);
        if (payload is null)
        {
            if (request.Type is null) return Results.Problem("Give payload, event, or type (and object).", statusCode: 400);
            var built = StripeEvents.Create(request.Type, request.Object ?? [], null, clock.GetUtcNow().ToUnixTimeSeconds(), webhooks.ApiVersion,
                pendingWebhooks: 1, requestId: null, idempotencyKey: null);
            payload = WebhookDispatcher.Serialize(built);
        }

        IReadOnlyList<string> urls = request.Url is { } url ? [url] : webhooks.Endpoints;
        if (urls.Count == 0) return Results.Problem("No webhook endpoint: configure LocalStripe:WebhookUrl, PUT /_webhooks/endpoints, or give url.", statusCode: 400);

        var signature = request.Signature
            ?? webhooks.Sign(request.SignedPayload ?? payload, request.Timestamp, request.Secret is { } secret ? [secret] : null);
        var (eventId, type) = Describe(payload);
        var results = new List<object>();
        foreach (var target in urls)
        {
            var (attempt, body) = await webhooks.SendOnceAsync(target, payload, signature, eventId, type, cancellationToken);
            results.Add(new { url = target, status = attempt.Status, error = attempt.Error, responseBody = body });
        }
        return Results.Ok(new { eventId, signature, payload, results });
    }

    private static (string Id, string Type) Describe(string payload)
    {
        try
        {
            var node = JsonNode.Parse(payload);
            return ((string?)node?["id"] ?? "(no id)", (string?)node?["type"] ?? "(no type)");
        }
        catch (JsonException)
        {
            return ("(not JSON)", "(not JSON)");
        }
    }
}
