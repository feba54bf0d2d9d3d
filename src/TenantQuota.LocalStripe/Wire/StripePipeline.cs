using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using TenantQuota.LocalStripe.Webhooks;

namespace TenantQuota.LocalStripe.Wire;

/// <summary>
/// Every v1 request goes through here, in Stripe's order: an injected fault (before anything, as an
/// edge or rate limiter would) → authentication → decode → validation against the spec → the
/// Idempotency-Key layer → the handler, inside the store's lock → events to the webhook dispatcher →
/// the answer (with Request-Id, Stripe-Version). Each request is logged for GET /_requests.
/// </summary>
internal sealed class StripePipeline(StripeStore store, IdempotencyStore idempotency, FaultInjector faults, RequestLog log,
    WebhookDispatcher webhooks, IOptions<LocalStripeSettings> options, TimeProvider clock, ILogger<StripePipeline> logger)
{

    /// <summary>Maps <paramref name="method"/> <paramref name="pattern"/>; its parameters come from the spec under that same key.</summary>
    public static void Map(IEndpointRouteBuilder app, string method, string pattern, StripeHandler handler)
    {
        var operation = app.ServiceProvider.GetRequiredService<StripeSpec>().Operation($"{method} {pattern}");
        app.MapMethods(pattern, [method], (HttpContext http, StripePipeline pipeline) => pipeline.RunAsync(http, operation, handler));
    }

    /// <summary>Any other /v1 path: 404 in Stripe's words, after authentication (as Stripe does).</summary>
    public static void MapUnknown(IEndpointRouteBuilder app) =>
        app.Map("/v1/{**rest}", (HttpContext http, StripePipeline pipeline) => pipeline.RunAsync(http, operation: null, handler: null));

    public async Task RunAsync(HttpContext http, OperationSpec? operation, StripeHandler? handler)
    {
        var request = http.Request;
        var key = request.Method == "POST" && request.Headers.TryGetValue("Idempotency-Key", out var k) ? k.ToString() : null;
        var version = request.Headers.TryGetValue("Stripe-Version", out var v) ? v.ToString() : null;
        var entry = new LoggedRequest
        {
            RequestId = RequestIds.Of(http), At = clock.GetUtcNow(), Method = request.Method, Path = request.Path.Value ?? "",
            IdempotencyKey = key, StripeVersion = version, Auth = AuthScheme(request),
        };
        http.Response.Headers["Stripe-Version"] = version ?? webhooks.ApiVersion;
        try
        {
            var reply = await AnswerAsync(http, entry, operation, handler);
            if (reply is null)
            {
                entry.Note = "aborted";
                http.Abort();
                return;
            }
            entry.Status = reply.Status;
            entry.ErrorType = (string?)reply.Body["error"]?["type"];
            await WriteAsync(http, reply);
        }
        finally
        {
            log.Add(entry);
        }
    }

    private async Task<StripeReply?> AnswerAsync(HttpContext http, LoggedRequest entry, OperationSpec? operation, StripeHandler? handler)
    {
        var fault = faults.Take(entry.Method, entry.Path);
        FormMap form = FormMap.Empty;
        StripeError? undecodable = null;
        try
        {
            (form, entry.Params) = await ReadParamsAsync(http.Request);
        }
        catch (StripeError error)
        {
            undecodable = error;
        }

        if (fault is { Status: not null, Stored: false })
        {
            entry.Note = "fault";
            await DelayAsync(fault.DelayMs, http.RequestAborted);
            return StripeReply.From(fault.ToError());
        }

        if (Authenticate(http.Request, options.Value) is { } unauthenticated) return StripeReply.From(unauthenticated);
        if (operation is null || handler is null)
            return StripeReply.From(new StripeError(404, "invalid_request_error",
                $"Unrecognized request URL ({entry.Method}: {entry.Path}). LocalStripe serves only the subset of Stripe's API that TenantQuota uses; see src/TenantQuota.LocalStripe/README.md."));
        if (undecodable is not null) return StripeReply.From(undecodable);

        try
        {
            operation.Validate(form);
        }
        catch (StripeError error)
        {
            return StripeReply.From(error);
        }

        var key = entry.IdempotencyKey;
        if (key is not null)
        {
            if (key.Length is 0 or > 255)
                return StripeReply.From(StripeError.InvalidRequest("Invalid Idempotency-Key: it must be 1 to 255 characters."));
            switch (idempotency.Begin(key, operation.Key, IdempotencyStore.Fingerprint(entry.Params), entry.RequestId))
            {
                case IdempotencyStore.Replay replay:
                    entry.Note = "replay";
                    var headers = new Dictionary<string, string>(replay.Reply.Headers ?? new Dictionary<string, string>(), StringComparer.OrdinalIgnoreCase)
                    {
                        ["Idempotent-Replayed"] = "true",
                        ["Original-Request"] = replay.OriginalRequestId,
                    };
                    return replay.Reply with { Headers = headers };
                case IdempotencyStore.Refuse refuse:
                    return StripeReply.From(refuse.Error);
            }
        }

        StripeReply reply;
        if (fault is { Stored: true })
        {
            entry.Note = "fault";
            reply = StripeReply.From(fault.ToError());
        }
        else reply = Execute(NewCall(http, form, entry.RequestId, key), handler);
        await DelayAsync(fault?.DelayMs ?? 0, http.RequestAborted);
        if (key is not null) idempotency.Complete(key, reply);
        return fault?.Abort == true ? null : reply;
    }

    public StripeCall NewCall(HttpContext http, FormMap form, string? requestId, string? idempotencyKey) => new()
    {
        Http = http, Params = form, Store = store, Settings = options.Value, Now = clock.GetUtcNow(),
        RequestId = requestId, IdempotencyKey = idempotencyKey,
    };

    /// <summary>
    /// Runs <paramref name="action"/> inside the store's lock, then sends the events it emitted. A
    /// <see cref="StripeError"/> it throws passes through (its events are dropped). The hosted pages use this too.
    /// </summary>
    public T Run<T>(StripeCall call, Func<StripeCall, T> action)
    {
        T result;
        IReadOnlyList<JsonObject> events;
        lock (store.Gate)
        {
            result = action(call);
            events = webhooks.Record(call);
        }
        webhooks.Publish(events);
        return result;
    }

    /// <summary>A handler's answer: a <see cref="StripeError"/> becomes its error body, any other exception a 500 api_error.</summary>
    private StripeReply Execute(StripeCall call, StripeHandler handler)
    {
        try
        {
            return Run(call, c => handler(c));
        }
        catch (StripeError error)
        {
            return StripeReply.From(error);
        }
        catch (Exception error)
        {
            logger.LogError(error, "Handler failed for {Method} {Path}", call.Http.Request.Method, call.Http.Request.Path);
            return StripeReply.From(new StripeError(500, "api_error", $"LocalStripe failed: {error.Message}"));
        }
    }

    private static async Task<(FormMap, IReadOnlyList<KeyValuePair<string, string>>)> ReadParamsAsync(HttpRequest request)
    {
        if (request.Method is "GET" or "DELETE") return FormDecoder.Decode(request.QueryString.Value);
        if (request.ContentLength is > 0 || request.Headers.TransferEncoding.Count > 0)
        {
            if (request.ContentType is { } type && !type.StartsWith("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase))
                throw StripeError.InvalidRequest($"Invalid request: v1 bodies are application/x-www-form-urlencoded, not {type}.");
            using var reader = new StreamReader(request.Body, Encoding.UTF8);
            return FormDecoder.Decode(await reader.ReadToEndAsync(request.HttpContext.RequestAborted));
        }
        return (FormMap.Empty, []);
    }

    /// <summary>Basic with the key as user name (empty password), or Bearer (NOTES.md §1). Test-mode keys only.</summary>
    private static StripeError? Authenticate(HttpRequest request, LocalStripeSettings settings)
    {
        var key = ApiKey(request);
        if (key is null)
            return new StripeError(401, "invalid_request_error",
                "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY') or Basic auth with the key as the user name.");
        var accepted = settings.SecretKeys.Count == 0
            ? key.StartsWith("sk_test_", StringComparison.Ordinal) || key.StartsWith("rk_test_", StringComparison.Ordinal)
            : settings.SecretKeys.Contains(key, StringComparer.Ordinal);
        return accepted ? null : new StripeError(401, "invalid_request_error",
            $"Invalid API Key provided: {Redact(key)}" + (key.StartsWith("sk_test_", StringComparison.Ordinal) ? "" : " (LocalStripe takes test-mode keys, sk_test_…)"));
    }

    private static string? ApiKey(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            return header[7..].Trim() is { Length: > 0 } bearer ? bearer : null;
        if (!header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase)) return null;
        try
        {
            var decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header[6..].Trim()));
            var user = decoded.Split(':', 2)[0];
            return user.Length > 0 ? user : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }

    private static string AuthScheme(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        return header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? "bearer"
            : header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase) ? "basic" : "none";
    }

    private static string Redact(string key) => key.Length <= 12 ? new string('*', key.Length) : $"{key[..8]}{new string('*', key.Length - 12)}{key[^4..]}";

    private static async Task DelayAsync(int milliseconds, CancellationToken aborted)
    {
        if (milliseconds <= 0) return;
        try
        {
            await Task.Delay(milliseconds, aborted);
        }
        catch (OperationCanceledException)
        {
            // The client gave up; the request still completes (and its answer is stored) as at Stripe.
        }
    }

    private static async Task WriteAsync(HttpContext http, StripeReply reply)
    {
        http.Response.StatusCode = reply.Status;
        foreach (var (name, value) in reply.Headers ?? new Dictionary<string, string>())
            http.Response.Headers[name] = value;
        http.Response.ContentType = "application/json";
        await http.Response.WriteAsync(reply.Body.ToJsonString(StripeJson.Options));
    }
}

/// <summary>The Request-Id of every response (req_…), set before anything else runs.</summary>
internal static class RequestIds
{
    private const string Key = "LocalStripe.RequestId";

    public static IApplicationBuilder UseRequestIds(this IApplicationBuilder app) => app.Use((http, next) =>
    {
        var id = Ids.New("req", 14);
        http.Items[Key] = id;
        http.Response.Headers["Request-Id"] = id;
        return next(http);
    });

    public static string Of(HttpContext http) => (string)http.Items[Key]!;
}
