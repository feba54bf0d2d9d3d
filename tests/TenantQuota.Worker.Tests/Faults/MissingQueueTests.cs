using System.Diagnostics;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using RabbitMQ.Client;
using Xunit.Abstractions;

namespace TenantQuota.Worker.Tests.Faults;

/// <summary>
/// RabbitMQ loses the worker's queue while the worker runs: deleted by an operator or a policy, or a
/// broker node back without its definitions. MassTransit declares it again within about a second; what
/// the dispatcher publishes meanwhile is routed to no queue. A publisher confirm only says RabbitMQ took
/// the message, not that a queue did, so unless the publish is mandatory those rows are marked dispatched
/// and their overage never reaches Stripe.
/// </summary>
[Collection(FaultPipelineCollection.Name)]
public sealed class MissingQueueTests(FaultPipeline pipeline, ITestOutputHelper output)
{
    [Fact]
    public async Task Bills_overage_published_while_the_worker_queue_is_missing_once_the_queue_is_back()
    {
        await using var worker = await pipeline.StartWorkerAsync();
        var bus = worker.Services.GetRequiredService<IBusControl>();
        var stream = await pipeline.NewStreamAsync();
        await stream.ProduceAsync(50, parallelism: 4);
        var before = await OverageLedger.SettledAsync(stream); // the queue holds nothing of ours when it goes

        await using (var connection = await TestRabbitMq.FaultTests.ConnectAsync())
        await using (var channel = await connection.CreateChannelAsync())
        {
            await channel.QueueDeleteAsync(pipeline.Queue);
            await channel.ExchangeDeleteAsync(pipeline.Queue);
        }
        // Gone for now: MassTransit must first hear of it and recover its channel (about a second) to declare it again.
        var missingAfterTheDelete = !await QueueExistsAsync();
        var gone = Stopwatch.StartNew();
        using var stop = new CancellationTokenSource();
        var producing = stream.ProduceSteadilyAsync(perTick: 5, tick: TimeSpan.FromMilliseconds(100), stop.Token);
        // The queue's return, not the bus's brief unhealthy spell, which a busy machine's poll can miss.
        await Eventually.Until(QueueExistsAsync, exists => exists, "MassTransit to declare the queue again");
        await Eventually.Until(() => Task.FromResult(bus.CheckHealth().Status), s => s == BusHealthStatus.Healthy, "the worker to consume again");
        var backAfter = gone.Elapsed;
        await Eventually.Until(stream.LedgerAsync, l => l.Produced >= before.Produced + 80, "80 more billable records");
        await stop.CancelAsync();
        await producing;
        var ledger = await OverageLedger.SettledAsync(stream);

        Assert.True(missingAfterTheDelete, "the queue was already back right after its deletion: no gap was tested");
        ledger.Print(output, "the worker's queue deleted mid-stream");
        output.WriteLine($"  queue back (bus healthy) after {backAfter.TotalSeconds:F1} s; {before.Produced} records before the deletion");
        ledger.AssertExactlyOnce();
    }

    private async Task<bool> QueueExistsAsync()
    {
        await using var connection = await TestRabbitMq.FaultTests.ConnectAsync();
        await using var channel = await connection.CreateChannelAsync();
        try
        {
            await channel.QueueDeclarePassiveAsync(pipeline.Queue);
            return true;
        }
        catch (RabbitMQ.Client.Exceptions.OperationInterruptedException)
        {
            return false; // 404 NOT_FOUND, which also closes the channel
        }
    }
}
