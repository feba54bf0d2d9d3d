using System.Threading.Channels;

namespace TenantQuota.Data;

/// <summary>
/// Runs work in groups, one database round trip per group: a group leaves as soon as one of
/// <c>lanes</c> runners is free, carrying everything that queued while they were all busy (at most
/// <c>maxGroup</c> items). There is no timer to tune: an idle process runs each item at once, a busy one
/// in bigger groups. Each caller's task completes with its own item's result, or with the group's
/// exception if the group as a whole failed.
/// </summary>
public sealed class GroupRunner<TItem, TResult> : IAsyncDisposable
{
    private readonly Channel<Queued> _queue = Channel.CreateUnbounded<Queued>(new UnboundedChannelOptions { SingleWriter = false, SingleReader = false });
    private readonly Func<IReadOnlyList<TItem>, CancellationToken, Task<IReadOnlyList<TResult>>> _run;
    private readonly int _maxGroup;
    private readonly string _name;
    private readonly Task[] _lanes;

    /// <param name="name">What the runner does, as its group sizes are tagged (<see cref="LedgerMetrics"/>).</param>
    public GroupRunner(string name, Func<IReadOnlyList<TItem>, CancellationToken, Task<IReadOnlyList<TResult>>> run, int lanes, int maxGroup)
    {
        _name = name;
        ArgumentOutOfRangeException.ThrowIfLessThan(lanes, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxGroup, 1);
        _run = run;
        _maxGroup = maxGroup;
        _lanes = Enumerable.Range(0, lanes).Select(_ => Task.Run(LaneAsync)).ToArray();
    }

    public Task<TResult> RunAsync(TItem item)
    {
        var done = new TaskCompletionSource<TResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_queue.Writer.TryWrite(new Queued(item, done)))
            done.SetException(new ObjectDisposedException(nameof(GroupRunner<TItem, TResult>), "The process is stopping."));
        return done.Task;
    }

    private async Task LaneAsync()
    {
        var group = new List<Queued>(_maxGroup);
        var items = new List<TItem>(_maxGroup);
        while (await _queue.Reader.WaitToReadAsync())
        {
            group.Clear();
            items.Clear();
            while (group.Count < _maxGroup && _queue.Reader.TryRead(out var next))
            {
                group.Add(next);
                items.Add(next.Item);
            }
            if (group.Count == 0) continue;
            LedgerMetrics.Grouped(_name, group.Count);
            try
            {
                var results = await _run(items, CancellationToken.None);
                for (var i = 0; i < group.Count; i++) group[i].Done.TrySetResult(results[i]);
            }
            catch (Exception e)
            {
                foreach (var queued in group) queued.Done.TrySetException(e);
            }
        }
    }

    /// <summary>Runs what is queued, then stops the lanes.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await Task.WhenAll(_lanes);
    }

    private sealed record Queued(TItem Item, TaskCompletionSource<TResult> Done);
}
