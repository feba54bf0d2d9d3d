using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace TenantQuota.Worker.Tests.Faults;

/// <summary>
/// Stripe misbehaves while a stream flows: rate limits (429), server errors (500), and answers lost on
/// the way back (the event is stored, then the connection drops). Every record still ends up as one
/// meter event, every attempt with the record's one Idempotency-Key.
/// </summary>
[Collection(FaultPipelineCollection.Name)]
public sealed class StripeStormTests(FaultPipeline pipeline, ITestOutputHelper output)
{
    [Fact]
    public async Task Bills_every_overage_once_through_storms_of_rate_limits_server_errors_and_lost_answers()
    {
        await using var worker = await pipeline.StartWorkerAsync();
        var stream = await pipeline.NewStreamAsync();
        // Four waves, taken by meter-event requests in this order, whoever sends them.
        const int waves = 4, serverErrors = 8, rateLimits = 8, lostAnswers = 3;
        for (var wave = 0; wave < waves; wave++)
        {
            await pipeline.InjectMeterEventFaultAsync(serverErrors, status: 500);
            await pipeline.InjectMeterEventFaultAsync(rateLimits, status: 429);
            await pipeline.InjectMeterEventFaultAsync(lostAnswers, abort: true);
        }
        try
        {
            await stream.ProduceAsync(150, parallelism: 4);
            var ledger = await OverageLedger.SettledAsync(stream);
            var requests = (await pipeline.StripeAdmin.GetFromJsonAsync<JsonArray>("/_requests?path=/v1/billing/meter_events"))!
                .Select(r => r!.AsObject()).ToList();
            var keys = await FaultReport.OutboxMessagesAsync(stream);
            var ours = requests.Where(r => keys.Any(m => (string?)r["idempotencyKey"] == $"meter-event-{m.UsageRecordId}")).ToList();
            var byStatus = ours.GroupBy(r => (r["status"]!.GetValue<int>(), (string?)r["note"] ?? "-"))
                .OrderBy(g => g.Key).Select(g => $"{g.Key.Item1}/{g.Key.Item2}: {g.Count()}");
            var health = await FaultReport.BillingHealthAsync(worker);
            var leftOver = (await pipeline.StripeAdmin.GetFromJsonAsync<JsonArray>("/_faults"))!.Count;

            ledger.Print(output, $"Stripe storm: {waves} waves of {serverErrors} × 500, {rateLimits} × 429, {lostAnswers} lost answers");
            output.WriteLine($"  requests by status/note: {string.Join(", ", byStatus)}; retries (requests beyond one per record) {ledger.StripePosts - ledger.Produced}");
            output.WriteLine($"  lost answers injected {waves * lostAnswers}, applied {ledger.Aborted} (the rest fell on retries LocalStripe answered as replays); " +
                             $"faults left unused {leftOver}; worker poisoned {health.Poisoned}, error queue {health.ErrorQueueDepth}");

            Assert.Equal(0, leftOver);
            ledger.AssertExactlyOnce();
            Assert.Equal(waves * (serverErrors + rateLimits), ledger.Faults);
            // A lost-answer fault taken by a retry that Stripe answers from its idempotency store is not applied
            // (LocalStripe replays before it would run the request), so fewer answers may be lost than injected.
            Assert.InRange(ledger.Aborted, 1, waves * lostAnswers);
            Assert.True(ledger.Replays >= ledger.Aborted, "every lost answer was asked for again with the same key and replayed");
            Assert.Equal(ours.Count, ledger.StripePosts); // every attempt at a record carried that record's key
            Assert.Equal(0, health.Poisoned);
        }
        finally
        {
            await pipeline.ClearFaultsAsync();
        }
    }
}
