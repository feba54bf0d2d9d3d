using System.Collections.Concurrent;
using MassTransit;
using TenantQuota.Contracts;

namespace TenantQuota.Worker.Tests;

/// <summary>Counts finished consumes of <see cref="OverageRecorded"/> per usage record, on one worker's bus.</summary>
public sealed class DeliveryCounter : IConsumeObserver, IDisposable
{
    private readonly ConcurrentDictionary<long, int> _consumed = new();
    private readonly ConnectHandle _handle;

    public DeliveryCounter(WorkerProcess worker) =>
        _handle = ((IConsumeObserverConnector)worker.Services.GetService(typeof(IBusControl))!).ConnectConsumeObserver(this);

    public int Consumed(long usageRecordId) => _consumed.GetValueOrDefault(usageRecordId);

    public Task PostConsume<T>(ConsumeContext<T> context) where T : class
    {
        if (context.Message is OverageRecorded overage) _consumed.AddOrUpdate(overage.UsageRecordId, 1, (_, n) => n + 1);
        return Task.CompletedTask;
    }

    public Task PreConsume<T>(ConsumeContext<T> context) where T : class => Task.CompletedTask;

    public Task ConsumeFault<T>(ConsumeContext<T> context, Exception exception) where T : class => Task.CompletedTask;

    public void Dispose() => _handle.Disconnect();
}
