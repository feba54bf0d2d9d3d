using System.Collections.Concurrent;
using System.Diagnostics;
using TenantQuota.Testing;

namespace TenantQuota.Worker.Tests;

/// <summary>
/// One trace from a back end's consume to the Stripe meter event it became: the API keeps the request's traceparent on
/// the outbox row, the dispatcher publishes inside that trace, and the message's headers carry it to the consumer and its
/// call to Stripe.
/// </summary>
[Collection(BillingPipelineCollection.Name)]
public sealed class OverageTraceTests(BillingPipeline pipeline, Xunit.Abstractions.ITestOutputHelper output)
{
    private static readonly ActivitySource BackEnd = new("TenantQuota.Worker.Tests.BackEnd");

    /// <summary>
    /// The spans of the traces this test's back end starts (API and worker both run in this process); other tests'
    /// activities are left unsampled, as they would be without this listener.
    /// </summary>
    private sealed class Spans : IDisposable
    {
        private readonly ActivityListener _listener;
        public ConcurrentQueue<Activity> Finished { get; } = new();
        private readonly ConcurrentDictionary<ActivityTraceId, bool> _ours = new();

        public Spans()
        {
            _listener = new ActivityListener
            {
                ShouldListenTo = _ => true,
                Sample = (ref ActivityCreationOptions<ActivityContext> o) =>
                    o.Source == BackEnd ? Ours(o.TraceId) : _ours.ContainsKey(o.Parent.TraceId) ? ActivitySamplingResult.AllDataAndRecorded : ActivitySamplingResult.None,
                ActivityStopped = Finished.Enqueue,
            };
            ActivitySource.AddActivityListener(_listener);
        }

        private ActivitySamplingResult Ours(ActivityTraceId trace)
        {
            _ours[trace] = true;
            return ActivitySamplingResult.AllDataAndRecorded;
        }

        public List<Activity> Of(ActivityTraceId trace) => Finished.Where(a => a.TraceId == trace).ToList();

        public void Dispose() => _listener.Dispose();
    }

    [Fact]
    public async Task The_consume_the_outbox_publish_the_message_and_the_call_to_Stripe_are_one_trace()
    {
        using var spans = new Spans();
        var (tenant, _) = await pipeline.CreateBilledTenantAsync("pro");
        var client = pipeline.Backend(tenant);
        await client.ConsumeAsync(new { subjectId = "u", operationClass = "drafts", quantity = 400, idempotencyKey = "fill" });
        ActivityTraceId trace;
        using (var request = BackEnd.StartActivity("back end handles a request"))
        {
            trace = request!.TraceId;
            await client.ConsumeAsync(new { subjectId = "u", operationClass = "drafts", quantity = 2, idempotencyKey = "over" });
        }
        var id = await pipeline.UsageRecordIdAsync(tenant, "over");

        await Eventually.Until(() => pipeline.Database.ScalarAsync<long>("SELECT count(*) FROM billing_meter_events WHERE usage_record_id = $1", id),
            count => count == 1, "the meter event to be sent and recorded");
        var toStripe = await Eventually.Until(() => Task.FromResult(spans.Of(trace)),
            found => found.Any(IsMeterEventCall), "the call to Stripe to finish in the consume's trace");

        Print(spans.Of(trace));
        Assert.Contains(toStripe, s => s.Source.Name == "Microsoft.AspNetCore" && s.Kind == ActivityKind.Server); // the API's consume
        var publish = Assert.Single(toStripe, s => s.Source.Name == WorkerTracing.SourceName && s.OperationName == "outbox publish");
        Assert.Equal(id, publish.GetTagItem("tenantquota.usage_record_id"));
        Assert.Contains(toStripe, s => s.Source.Name == "MassTransit" && s.Kind == ActivityKind.Consumer);
        Assert.Single(toStripe, IsMeterEventCall);
        Assert.DoesNotContain(spans.Of(trace), s => s.Source.Name == WorkerTracing.SourceName && s.GetTagItem("tenantquota.usage_record_id") is long other && other != id);
    }

    /// <summary>The trace as a tree, in start order, for the test's output (the note quotes one).</summary>
    private void Print(List<Activity> trace)
    {
        var start = trace.Min(s => s.StartTimeUtc);
        void Walk(ActivitySpanId? parent, int depth)
        {
            foreach (var span in trace.Where(s => parent is null ? trace.All(p => p.SpanId != s.ParentSpanId) : s.ParentSpanId == parent).OrderBy(s => s.StartTimeUtc))
            {
                output.WriteLine($"{new string(' ', depth * 2)}{span.Source.Name} {span.Kind} \"{span.DisplayName}\" +{(span.StartTimeUtc - start).TotalMilliseconds:F1} ms, {span.Duration.TotalMilliseconds:F1} ms");
                Walk(span.SpanId, depth + 1);
            }
        }
        Walk(null, 0);
    }

    private static bool IsMeterEventCall(Activity span) =>
        span.Kind == ActivityKind.Client && span.Source.Name == "System.Net.Http"
        && span.GetTagItem("url.full") is string url && url.Contains("/v1/billing/meter_events", StringComparison.Ordinal);
}
