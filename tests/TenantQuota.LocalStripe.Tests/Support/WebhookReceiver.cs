using System.Text.Json.Nodes;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace TenantQuota.LocalStripe.Tests.Support;

/// <summary>One POST the receiver got: the raw body (byte for byte, as a verifier must see it) and its Stripe-Signature.</summary>
internal sealed record ReceivedWebhook(string Body, string Signature)
{
    public string Type => (string)JsonNode.Parse(Body)!["type"]!;
    public string Id => (string)JsonNode.Parse(Body)!["id"]!;
}

/// <summary>
/// A tiny HTTP endpoint on a free loopback port that records webhook deliveries. Tests await them with
/// <see cref="NextAsync"/>, which fails after a timeout instead of sleeping.
/// </summary>
internal sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Channel<ReceivedWebhook> _received = Channel.CreateUnbounded<ReceivedWebhook>();
    private readonly Queue<int> _answers = new();
    private readonly Lock _gate = new();

    private WebhookReceiver(WebApplication app) => _app = app;

    public string Url { get; private set; } = "";

    public static async Task<WebhookReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var receiver = new WebhookReceiver(app);
        app.MapPost("/webhook", async (HttpContext http) =>
        {
            using var reader = new StreamReader(http.Request.Body);
            var body = await reader.ReadToEndAsync();
            receiver._received.Writer.TryWrite(new ReceivedWebhook(body, http.Request.Headers["Stripe-Signature"].ToString()));
            int status;
            lock (receiver._gate) status = receiver._answers.TryDequeue(out var scripted) ? scripted : 200;
            return Results.StatusCode(status);
        });
        await app.StartAsync();
        receiver.Url = $"{app.Urls.First()}/webhook";
        return receiver;
    }

    /// <summary>The next deliveries are answered with these statuses (then 200 again).</summary>
    public void AnswerNext(params int[] statuses)
    {
        lock (_gate)
            foreach (var status in statuses) _answers.Enqueue(status);
    }

    /// <summary>The next delivery (of <paramref name="type"/>, if given; others are skipped), or a failure after <paramref name="timeout"/>.</summary>
    public async Task<ReceivedWebhook> NextAsync(string? type = null, TimeSpan? timeout = null)
    {
        using var cancel = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(10));
        var skipped = new List<string>();
        try
        {
            while (true)
            {
                var received = await _received.Reader.ReadAsync(cancel.Token);
                if (type is null || received.Type == type) return received;
                skipped.Add(received.Type);
            }
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"No webhook {type ?? "(any)"} within {timeout ?? TimeSpan.FromSeconds(10)}; received meanwhile: [{string.Join(", ", skipped)}].");
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
