using Xunit.Abstractions;

namespace TenantQuota.Worker.Tests.Faults;

/// <summary>
/// A worker process dies with meter events on the wire: SIGKILL, no shutdown code. Stripe has
/// accepted some of them, the worker recorded none of those; RabbitMQ puts its unacknowledged
/// messages back and PostgreSQL rolls back its open transactions. Another worker takes over.
/// </summary>
[Collection(FaultPipelineCollection.Name)]
public sealed class WorkerCrashTests(FaultPipeline pipeline, ITestOutputHelper output)
{
    [Fact]
    public async Task Bills_every_overage_once_when_a_worker_is_killed_mid_batch_and_another_takes_over()
    {
        var stream = await pipeline.NewStreamAsync();
        await stream.ProduceAsync(200, parallelism: 4);
        // Stripe takes 400 ms per meter event (the event is stored first, then the answer waits), so at
        // any moment the worker has a batch of requests that Stripe has done and it has not heard back from.
        await pipeline.InjectMeterEventFaultAsync(count: 100_000, delayMs: 400);
        try
        {
            OverageLedger atKill;
            int killedPid;
            await using (var doomed = await pipeline.StartWorkerChildProcessAsync())
            {
                killedPid = doomed.Id;
                await Eventually.Until(stream.LedgerAsync, l => l.Sent >= 30 && l.Sent > l.Recorded + 2,
                    "worker A mid-batch: meter events at Stripe that it has not recorded yet");
                await doomed.KillAsync();
                atKill = await stream.LedgerAsync();
            }
            await pipeline.ClearFaultsAsync();

            await using var successor = await pipeline.StartWorkerAsync();
            var ledger = await OverageLedger.SettledAsync(stream);
            var health = await FaultReport.BillingHealthAsync(successor);

            ledger.Print(output, "worker A killed (SIGKILL) mid-batch, worker B takes over");
            output.WriteLine($"  worker A (pid {killedPid}) at the kill: {atKill.Sent} of {atKill.Produced} at Stripe, {atKill.Recorded} recorded as sent, " +
                             $"{atKill.Sent - atKill.Recorded} at Stripe but unrecorded (re-sent by B as the same request); {atKill.StripePosts} requests");
            output.WriteLine($"  worker B: {ledger.Recorded - atKill.Recorded} records sent; poisoned {health.Poisoned}, error queue {health.ErrorQueueDepth}");

            Assert.True(atKill.Sent > atKill.Recorded, "Stripe had meter events the killed worker had not recorded");
            Assert.True(atKill.Sent < atKill.Produced, "the killed worker left work for the next");
            ledger.AssertExactlyOnce();
            Assert.True(ledger.Replays >= atKill.Sent - atKill.Recorded, "what A had sent unrecorded, B sent again with the same key");
            Assert.Equal(0, health.Poisoned);
        }
        finally
        {
            await pipeline.ClearFaultsAsync();
        }
    }
}
