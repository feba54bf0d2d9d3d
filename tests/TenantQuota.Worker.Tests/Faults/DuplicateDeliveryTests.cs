using MassTransit;
using TenantQuota.Worker.Outbox;
using Xunit.Abstractions;

namespace TenantQuota.Worker.Tests.Faults;

/// <summary>
/// Delivery is at least once: the same OverageRecorded arrives several times, at once or much later
/// (a row dispatched again after a crash between publish and commit). Stripe still gets one meter
/// event per record, and the later deliveries do not even ask it.
/// </summary>
[Collection(FaultPipelineCollection.Name)]
public sealed class DuplicateDeliveryTests(FaultPipeline pipeline, ITestOutputHelper output)
{
    [Fact]
    public async Task Bills_every_overage_once_when_each_message_is_published_three_times_and_every_row_is_dispatched_again()
    {
        await using var worker = await pipeline.StartWorkerAsync();
        using var deliveries = new DeliveryCounter(worker);
        var stream = await pipeline.NewStreamAsync();
        await stream.ProduceAsync(150, parallelism: 4);

        // Two more copies of every message, racing the dispatcher's own publish of it.
        var messages = await FaultReport.OutboxMessagesAsync(stream);
        await Task.WhenAll(messages.SelectMany(m => Enumerable.Range(0, 2).Select(_ =>
            worker.Bus.Publish(m, context => context.MessageId = OutboxDispatcher.MessageIdOf(m.UsageRecordId)))));
        var first = await OverageLedger.SettledAsync(stream);
        await Eventually.Until(() => FaultReport.DeliveriesAsync(deliveries, stream), n => n >= 3 * messages.Count, "three deliveries of every record");

        // Every row dispatched once more, as after a crash between the publish and the commit.
        var reset = await pipeline.Database.ExecuteAsync("UPDATE billing_outbox SET dispatched_at = NULL WHERE tenant_id = $1", stream.Tenant);
        await Eventually.Until(() => FaultReport.DeliveriesAsync(deliveries, stream), n => n >= 4 * messages.Count, "the fourth delivery of every record");
        var ledger = await OverageLedger.SettledAsync(stream);
        var consumed = await FaultReport.DeliveriesAsync(deliveries, stream);
        var health = await FaultReport.BillingHealthAsync(worker);

        ledger.Print(output, "each message published 3 times, then every outbox row re-dispatched");
        output.WriteLine($"  copies published by the test {2 * messages.Count}; rows re-dispatched {reset}; deliveries consumed {consumed} for {ledger.Produced} records " +
                         $"({consumed - ledger.Produced} duplicates skipped by the worker's sent record); Stripe requests before the re-dispatch {first.StripePosts}, after {ledger.StripePosts}");
        output.WriteLine($"  worker poisoned {health.Poisoned}, error queue {health.ErrorQueueDepth}");

        Assert.Equal(messages.Count, reset);
        Assert.True(consumed >= 4 * ledger.Produced);
        ledger.AssertExactlyOnce();
        Assert.Equal(ledger.Produced, ledger.StripePosts); // duplicates stopped at the worker's own record: Stripe was asked once per record
        Assert.Equal(0, ledger.DuplicatesRefused);
        Assert.Equal(0, health.Poisoned);
    }
}
