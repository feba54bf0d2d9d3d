using System.Collections.Concurrent;
using TenantQuota.Testing;

namespace TenantQuota.Worker.Tests.Faults;

/// <summary>
/// One tenant's stream of consumes through the real API host: drafts past the hard limit (billable
/// overage, 1 to 3 each) with every fifth a summaries consume (never billable), on a few subjects
/// each filled up to the limit first. Keeps every answer, so a test can compare what the API said was
/// billable with what reached the outbox and Stripe.
/// </summary>
public sealed class OverageStream(FaultPipeline pipeline, string tenant, string customer, HttpClient client, int subjects)
{
    private const long HardLimit = 400; // pro/drafts in config/quota-matrix.yaml

    private readonly ConcurrentQueue<Answer> _answers = new();
    private int _sent;

    public sealed record Answer(string Key, int Status, long BillableQuantity, string? Body);

    public FaultPipeline Pipeline => pipeline;
    public string Tenant => tenant;
    public string Customer => customer;
    public IReadOnlyCollection<Answer> Answers => _answers;

    /// <summary>Every subject at the hard limit, so from here on every drafts consume is billable.</summary>
    internal async Task FillAsync()
    {
        for (var s = 0; s < subjects; s++)
        {
            var answer = await client.ConsumeAsync(new { subjectId = $"user-{s}", operationClass = FaultPipeline.OperationClass, quantity = HardLimit, idempotencyKey = $"fill-{s}" });
            if (answer.Status != 200 || answer.Json["billableQuantity"]!.GetValue<long>() != 0)
                throw new InvalidOperationException($"Filling subject user-{s} answered {answer.Status}: {answer.Body}");
        }
    }

    /// <summary>Sends <paramref name="count"/> more consumes, <paramref name="parallelism"/> at a time; returns once all are answered.</summary>
    public Task ProduceAsync(int count, int parallelism = 4) =>
        Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = parallelism },
            async (_, _) =>
            {
                var n = Interlocked.Increment(ref _sent);
                var billable = n % 5 != 0;
                var key = $"c-{n}";
                var answer = await client.ConsumeAsync(new
                {
                    subjectId = $"user-{n % subjects}",
                    operationClass = billable ? FaultPipeline.OperationClass : "summaries",
                    quantity = 1 + n % 3,
                    idempotencyKey = key,
                });
                var quantity = answer.Status == 200 ? answer.Json["billableQuantity"]?.GetValue<long>() ?? 0 : 0;
                _answers.Enqueue(new Answer(key, answer.Status, quantity, answer.Status == 200 ? null : answer.Body?.ToJsonString()));
            });

    /// <summary>
    /// <paramref name="perTick"/> consumes at once every <paramref name="tick"/> until <paramref name="stop"/>
    /// (a steady stream, paced so a test of several seconds stays a few hundred consumes); the last batch is
    /// answered before this returns.
    /// </summary>
    public async Task ProduceSteadilyAsync(int perTick, TimeSpan tick, CancellationToken stop)
    {
        using var timer = new PeriodicTimer(tick);
        try
        {
            do await ProduceAsync(perTick, perTick);
            while (await timer.WaitForNextTickAsync(stop));
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }

    /// <summary>What the pipeline has done with this stream so far.</summary>
    public Task<OverageLedger> LedgerAsync() => OverageLedger.ReadAsync(this);
}
