using System.Data;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Npgsql;
using Xunit.Abstractions;

namespace TenantQuota.Worker.Tests.Faults;

/// <summary>
/// One stream's books, from both ends: what the API answered, what PostgreSQL holds (outbox rows =
/// billable usage records, the worker's sent records, holds), and what LocalStripe saw (the meter events
/// it accepted for the stream's customer, and every meter-event request for the stream's identifiers).
/// </summary>
/// <param name="Consumes">Consumes answered by the API.</param>
/// <param name="ConsumesFailed">Consumes answered with anything but 200.</param>
/// <param name="BillableAnswers">Answers with billableQuantity &gt; 0: overage the API told the caller it would bill.</param>
/// <param name="Produced">Billable usage records: the stream's billing_outbox rows.</param>
/// <param name="Pending">Outbox rows not (yet) published.</param>
/// <param name="Sent">Distinct identifiers among the produced records that Stripe accepted a meter event for.</param>
/// <param name="Lost">Produced records Stripe has no meter event for.</param>
/// <param name="DoubleBilled">Meter events accepted beyond the first for one identifier.</param>
/// <param name="Unexpected">Meter events for the stream's customer whose identifier is no billable record.</param>
/// <param name="WrongValue">Meter events whose value differs from the record's billable quantity.</param>
/// <param name="Recorded">The worker's billing_meter_events rows for the stream.</param>
/// <param name="Held">billing_overage_holds rows for the stream.</param>
/// <param name="StripePosts">POST /v1/billing/meter_events requests for the stream's identifiers, every attempt.</param>
/// <param name="Replays">Of those, answered from Stripe's idempotency store (same Idempotency-Key, already done).</param>
/// <param name="Faults">Of those, answered by an injected fault.</param>
/// <param name="Aborted">Of those, handled and then cut off without an answer (an injected abort).</param>
/// <param name="InProgressConflicts">Of those, answered 409 because the first request with that key was still running.</param>
/// <param name="DuplicatesRefused">Same-identifier events Stripe refused (deduplicated by identifier, not by key).</param>
/// <param name="RecordsRetried">Identifiers that took more than one request.</param>
public sealed record OverageLedger(
    int Consumes, int ConsumesFailed, int BillableAnswers, long BillableQuantity,
    int Produced, long ProducedQuantity, int Pending,
    int Sent, int Lost, int DoubleBilled, int Unexpected, int WrongValue, long StripeQuantity,
    int Recorded, int Held,
    int StripePosts, int Replays, int Faults, int Aborted, int InProgressConflicts, int DuplicatesRefused, int RecordsRetried,
    string? FirstFailedConsume)
{
    /// <summary>Every billable record at Stripe and recorded as sent by the worker, nothing left to publish.</summary>
    public bool Settled => Produced > 0 && Produced == BillableAnswers && Sent == Produced && Recorded == Produced && Pending == 0;

    public static async Task<OverageLedger> ReadAsync(OverageStream stream)
    {
        var pipeline = stream.Pipeline;
        var answers = stream.Answers.ToList();
        var rows = new Dictionary<string, long>(StringComparer.Ordinal);
        var pending = 0;
        await using (var command = pipeline.Database.DataSource.CreateCommand(
                         "SELECT usage_record_id, quantity, dispatched_at IS NULL AS pending FROM billing_outbox WHERE tenant_id = $1"))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = stream.Tenant });
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                rows[reader.GetInt64("usage_record_id").ToString(CultureInfo.InvariantCulture)] = reader.GetInt64("quantity");
                if (reader.GetBoolean("pending")) pending++;
            }
        }
        var recorded = await pipeline.Database.ScalarAsync<long>("SELECT count(*) FROM billing_meter_events WHERE tenant_id = $1", stream.Tenant);
        var held = await pipeline.Database.ScalarAsync<long>("SELECT count(*) FROM billing_overage_holds WHERE tenant_id = $1", stream.Tenant);

        var accepted = (await pipeline.StripeAdmin.GetFromJsonAsync<JsonObject>("/_meter_events"))!["events"]!.AsArray()
            .Select(e => e!.AsObject())
            .Where(e => (string?)e["payload"]?["stripe_customer_id"] == stream.Customer)
            .ToList();
        var byIdentifier = accepted.GroupBy(e => (string)e["identifier"]!).ToList();
        var acceptedIds = byIdentifier.Select(g => g.Key).ToHashSet(StringComparer.Ordinal);
        var requests = (await pipeline.StripeAdmin.GetFromJsonAsync<JsonArray>("/_requests?path=/v1/billing/meter_events"))!
            .Select(r => r!.AsObject())
            .Where(r => r["params"]?["identifier"] is { } id && rows.ContainsKey((string)id!))
            .ToList();

        return new OverageLedger(
            Consumes: answers.Count,
            ConsumesFailed: answers.Count(a => a.Status != 200),
            BillableAnswers: answers.Count(a => a.BillableQuantity > 0),
            BillableQuantity: answers.Sum(a => a.BillableQuantity),
            Produced: rows.Count,
            ProducedQuantity: rows.Values.Sum(),
            Pending: pending,
            Sent: byIdentifier.Count(g => rows.ContainsKey(g.Key)),
            Lost: rows.Keys.Count(id => !acceptedIds.Contains(id)),
            DoubleBilled: byIdentifier.Sum(g => g.Count() - 1),
            Unexpected: byIdentifier.Count(g => !rows.ContainsKey(g.Key)),
            WrongValue: accepted.Count(e => !rows.TryGetValue((string)e["identifier"]!, out var quantity)
                                            || (string?)e["payload"]?["value"] != quantity.ToString(CultureInfo.InvariantCulture)),
            StripeQuantity: accepted.Sum(e => long.Parse((string)e["payload"]!["value"]!, CultureInfo.InvariantCulture)),
            Recorded: (int)recorded,
            Held: (int)held,
            StripePosts: requests.Count,
            Replays: requests.Count(r => (string?)r["note"] == "replay"),
            Faults: requests.Count(r => (string?)r["note"] == "fault"),
            Aborted: requests.Count(r => (string?)r["note"] == "aborted"),
            InProgressConflicts: requests.Count(r => (string?)r["note"] is null && r["status"]!.GetValue<int>() == 409),
            DuplicatesRefused: accepted.Sum(e => e["duplicatesSeen"]!.GetValue<int>()),
            RecordsRetried: requests.GroupBy(r => (string)r["params"]!["identifier"]!).Count(g => g.Count() > 1),
            FirstFailedConsume: answers.FirstOrDefault(a => a.Status != 200) is { } failed ? $"{failed.Key}: {failed.Status} {failed.Body}" : null);
    }

    /// <summary>Waits (polling, with a deadline) until <see cref="Settled"/>.</summary>
    public static Task<OverageLedger> SettledAsync(OverageStream stream, TimeSpan? timeout = null) =>
        Eventually.Until(stream.LedgerAsync, l => l.Settled, "every billable record at Stripe and recorded as sent", timeout);

    /// <summary>
    /// Produced == sent, lost 0, double-billed 0, nothing held, the billed total is the overage total.
    /// Duplicates Stripe refused by identifier are allowed (counted, not asserted): Stripe deduplicating is fine.
    /// </summary>
    public void AssertExactlyOnce()
    {
        Assert.Null(FirstFailedConsume);
        Assert.Equal(0, ConsumesFailed);
        Assert.Equal(BillableAnswers, Produced);
        Assert.Equal(Produced, Sent);
        Assert.Equal(0, Lost);
        Assert.Equal(0, DoubleBilled);
        Assert.Equal(0, Unexpected);
        Assert.Equal(0, WrongValue);
        Assert.Equal(Produced, Recorded);
        Assert.Equal(0, Held);
        Assert.Equal(BillableQuantity, ProducedQuantity);
        Assert.Equal(ProducedQuantity, StripeQuantity);
    }

    /// <summary>The figures, in one paragraph, for the test output.</summary>
    public void Print(ITestOutputHelper output, string scenario)
    {
        output.WriteLine($"[{scenario}]");
        output.WriteLine($"  consumes answered {Consumes} (failed {ConsumesFailed}); billable answers {BillableAnswers}, {BillableQuantity} units");
        output.WriteLine($"  produced (billable usage records = outbox rows) {Produced}, {ProducedQuantity} units; pending {Pending}; held {Held}");
        output.WriteLine($"  sent (unique identifiers accepted by Stripe) {Sent}, {StripeQuantity} units; recorded as sent by the worker {Recorded}");
        output.WriteLine($"  lost {Lost}; double-billed {DoubleBilled}; unexpected {Unexpected}; wrong value {WrongValue}");
        output.WriteLine($"  Stripe meter-event requests {StripePosts}: replays {Replays}, injected faults {Faults}, aborted {Aborted}, " +
                         $"409 in progress {InProgressConflicts}; duplicates refused by identifier {DuplicatesRefused}; records that took >1 request {RecordsRetried}");
    }
}
