using Xunit.Abstractions;

namespace TenantQuota.Worker.Tests.Faults;

/// <summary>
/// Two workers on one database and one queue: their dispatchers claim outbox rows side by side (FOR
/// UPDATE SKIP LOCKED) and their consumers share the queue. Each record is billed once.
/// </summary>
[Collection(FaultPipelineCollection.Name)]
public sealed class CompetingWorkersTests(FaultPipeline pipeline, ITestOutputHelper output)
{
    [Fact]
    public async Task Bills_every_overage_once_when_two_workers_share_one_stream()
    {
        // Small batches and slowish Stripe answers, so both dispatchers claim and both consumers hold work at once.
        var settings = new Dictionary<string, string?> { ["Worker:OutboxBatchSize"] = "10" };
        await using var first = await pipeline.StartWorkerAsync(overrides: settings);
        await using var second = await pipeline.StartWorkerAsync(overrides: settings);
        using var atFirst = new DeliveryCounter(first);
        using var atSecond = new DeliveryCounter(second);
        var stream = await pipeline.NewStreamAsync();
        await pipeline.InjectMeterEventFaultAsync(count: 100_000, delayMs: 20);
        try
        {
            await stream.ProduceAsync(250, parallelism: 4);
            var ledger = await OverageLedger.SettledAsync(stream);
            // A consume counts once it has returned, a moment after its record is committed.
            await Eventually.Until(async () => await FaultReport.DeliveriesAsync(atFirst, stream) + await FaultReport.DeliveriesAsync(atSecond, stream),
                n => n >= ledger.Produced, "every record's delivery to have finished");
            var (byFirst, bySecond) = (await FaultReport.DeliveriesAsync(atFirst, stream), await FaultReport.DeliveriesAsync(atSecond, stream));
            var health = (await FaultReport.BillingHealthAsync(first), await FaultReport.BillingHealthAsync(second));

            ledger.Print(output, "two workers on one stream");
            output.WriteLine($"  deliveries consumed: worker 1 {byFirst}, worker 2 {bySecond}, together {byFirst + bySecond} for {ledger.Produced} records; " +
                             $"poisoned {health.Item1.Poisoned} + {health.Item2.Poisoned}");

            Assert.True(byFirst > 0 && bySecond > 0, "both workers consumed part of the stream");
            Assert.Equal(ledger.Produced, byFirst + bySecond); // the two dispatchers never published one row twice
            ledger.AssertExactlyOnce();
            Assert.Equal(ledger.Produced, ledger.StripePosts);
            Assert.Equal((0L, 0L), (health.Item1.Poisoned, health.Item2.Poisoned));
        }
        finally
        {
            await pipeline.ClearFaultsAsync();
        }
    }
}
