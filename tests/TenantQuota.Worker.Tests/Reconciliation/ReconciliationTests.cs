using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Stripe.Billing;
using TenantQuota.Billing.Reconciliation;
using TenantQuota.Testing;

namespace TenantQuota.Worker.Tests.Reconciliation;

/// <summary>
/// Reconciliation against the running pipeline: what Stripe lacks is sent once, what it has is not sent
/// again, what it has too much of is reported and left alone. Gaps are made the way they happen: Stripe
/// refused a delivery (the message went to the error queue), or Stripe got an event by another road.
/// </summary>
[Collection(BillingPipelineCollection.Name)]
public sealed class ReconciliationTests(BillingPipeline pipeline)
{
    /// <summary>Two days, so a test running across midnight UTC still sees its usage; nothing left to settle.</summary>
    private static readonly ReconciliationWindow Window = new(2, TimeSpan.Zero);

    [Fact]
    public async Task Resends_once_what_Stripe_never_got_and_finds_no_drift_the_next_time()
    {
        var (tenant, customer, client) = await BilledTenantAsync();
        var sentBefore = await ConsumeSentAsync(tenant, client, "over-1", 2);
        await pipeline.InjectMeterEventFaultAsync(400, count: 1);
        var lost = await ConsumeRefusedAsync(tenant, client, "over-2", 3);
        var sentAfter = await ConsumeSentAsync(tenant, client, "over-3", 4);
        var reconciliation = Reconciliation();

        var first = await reconciliation.RunAsync(Window, CancellationToken.None);
        var second = await reconciliation.RunAsync(Window, CancellationToken.None);

        var healed = Assert.Single(first.Days, d => d.TenantId == tenant);
        Assert.Equal((DayOutcome.Healed, 9L, 6m, 9m), (healed.Outcome, healed.Ours, healed.StripeBefore, healed.StripeAfter));
        Assert.Equal([lost], healed.Resent);
        Assert.Empty(healed.AlreadyAtStripe);
        Assert.Single(await pipeline.AcceptedMeterEventsAsync(lost));
        Assert.Equal([400, 200], Statuses(await pipeline.MeterEventRequestsAsync(lost)));
        Assert.Single(await pipeline.MeterEventRequestsAsync(sentBefore)); // what Stripe had is not sent again
        Assert.Single(await pipeline.MeterEventRequestsAsync(sentAfter));
        Assert.Equal(9m, await StripeTotalAsync(customer, "drafts"));
        Assert.Equal(customer, await pipeline.Database.ScalarAsync<string>("SELECT stripe_customer_id FROM billing_meter_events WHERE usage_record_id = $1", lost));
        var again = Assert.Single(second.Days, d => d.TenantId == tenant);
        Assert.Equal((DayOutcome.Matches, 9m), (again.Outcome, again.StripeBefore));
        Assert.Equal(2, (await pipeline.MeterEventRequestsAsync(lost)).Count);
    }

    [Fact]
    public async Task Counts_an_event_Stripe_refuses_as_a_duplicate_identifier_as_there_and_records_it_as_sent()
    {
        var (tenant, customer, client) = await BilledTenantAsync();
        await pipeline.InjectMeterEventFaultAsync(400, count: 2);
        var reached = await ConsumeRefusedAsync(tenant, client, "over-1", 2);
        var lost = await ConsumeRefusedAsync(tenant, client, "over-2", 3);
        // Stripe got the first by another road (an attempt whose answer was lost), under another Idempotency-Key.
        await SendDirectlyAsync(customer, Identifier(reached), 2, await OccurredAtAsync(reached));

        var result = await Reconciliation().RunAsync(Window, CancellationToken.None);

        var day = Assert.Single(result.Days, d => d.TenantId == tenant);
        Assert.Equal((DayOutcome.Healed, 5L, 2m, 5m), (day.Outcome, day.Ours, day.StripeBefore, day.StripeAfter));
        Assert.Equal([reached], day.AlreadyAtStripe);
        Assert.Equal([lost], day.Resent);
        Assert.Single(await pipeline.AcceptedMeterEventsAsync(reached));
        Assert.Single(await pipeline.AcceptedMeterEventsAsync(lost));
        Assert.Equal(2, await pipeline.Database.ScalarAsync<long>("SELECT count(*) FROM billing_meter_events WHERE usage_record_id IN ($1, $2)", reached, lost));
    }

    [Fact]
    public async Task Reports_over_billing_and_leaves_it_alone()
    {
        var (tenant, customer, client) = await BilledTenantAsync();
        var sent = await ConsumeSentAsync(tenant, client, "over", 2);
        await SendDirectlyAsync(customer, $"not-ours-{Guid.NewGuid():N}", 5, await OccurredAtAsync(sent));

        var first = await Reconciliation().RunAsync(Window, CancellationToken.None);
        var second = await Reconciliation().RunAsync(Window, CancellationToken.None);

        var day = Assert.Single(first.Days, d => d.TenantId == tenant);
        Assert.Equal((DayOutcome.Excess, 2L, 7m, 7m, -5m), (day.Outcome, day.Ours, day.StripeBefore, day.StripeAfter, day.Drift));
        Assert.Empty(day.Resent);
        Assert.True(first.DriftRemains);
        Assert.Equal(DayOutcome.Excess, Assert.Single(second.Days, d => d.TenantId == tenant).Outcome);
        Assert.Single(await pipeline.MeterEventRequestsAsync(sent));
        Assert.Equal(7m, await StripeTotalAsync(customer, "drafts"));
    }

    [Fact]
    public async Task Does_not_send_again_usage_Stripe_confirmed_more_than_a_day_ago_and_reports_it()
    {
        // Stripe forgets identifiers after about a day: sending this again could bill it twice.
        var (tenant, _, client) = await BilledTenantAsync();
        await pipeline.InjectMeterEventFaultAsync(400, count: 1);
        var id = await ConsumeRefusedAsync(tenant, client, "over", 3);
        await pipeline.Database.ExecuteAsync("""
            INSERT INTO billing_meter_events (usage_record_id, tenant_id, stripe_customer_id, event_name, quantity, occurred_at, sent_at)
            SELECT o.usage_record_id, o.tenant_id, c.stripe_customer_id, 'as sent two days ago', o.quantity, o.occurred_at, now() - interval '2 days'
              FROM billing_outbox o JOIN billing_customers c ON c.tenant_id = o.tenant_id WHERE o.usage_record_id = $1
            """, id);

        var result = await Reconciliation().RunAsync(Window, CancellationToken.None);

        var day = Assert.Single(result.Days, d => d.TenantId == tenant);
        Assert.Equal((DayOutcome.Missing, 3L, 0m), (day.Outcome, day.Ours, day.StripeAfter));
        Assert.Equal([id], day.RecordedAsSent);
        Assert.Empty(day.Resent);
        Assert.Equal([400], Statuses(await pipeline.MeterEventRequestsAsync(id)));
        Assert.True(result.DriftRemains);
    }

    [Fact]
    public async Task Reports_unsent_usage_older_than_the_window_as_recoverable_until_Stripe_no_longer_takes_it()
    {
        var (tenant, _, client) = await BilledTenantAsync();
        await pipeline.InjectMeterEventFaultAsync(400, count: 1);
        await ConsumeRefusedAsync(tenant, client, "over", 3);

        var inFiveDays = await Reconciliation(DateTimeOffset.UtcNow.AddDays(5)).RunAsync(Window, CancellationToken.None);
        var inFortyDays = await Reconciliation(DateTimeOffset.UtcNow.AddDays(40)).RunAsync(Window, CancellationToken.None);

        Assert.DoesNotContain(inFiveDays.Days, d => d.TenantId == tenant);
        var unsent = Assert.Single(inFiveDays.OutsideWindow, u => u.TenantId == tenant);
        Assert.Equal(("drafts", 1, 3L, true), (unsent.OperationClass, unsent.Records, unsent.Quantity, unsent.Recoverable));
        Assert.False(Assert.Single(inFortyDays.OutsideWindow, u => u.TenantId == tenant).Recoverable);
        Assert.True(inFiveDays.DriftRemains);
    }

    [Fact]
    public async Task Skips_a_turn_while_another_process_reconciles()
    {
        var reconciliation = Reconciliation();
        await using var other = await pipeline.Database.DataSource.OpenConnectionAsync();
        await using (var take = new NpgsqlCommand("SELECT pg_advisory_lock(74523, 0)", other)) await take.ExecuteNonQueryAsync();

        var whileHeld = await reconciliation.TryRunAsync(Window, CancellationToken.None);
        await using (var release = new NpgsqlCommand("SELECT pg_advisory_unlock(74523, 0)", other)) await release.ExecuteNonQueryAsync();
        var afterwards = await reconciliation.TryRunAsync(Window, CancellationToken.None);

        Assert.Null(whileHeld);
        Assert.NotNull(afterwards);
    }

    /// <summary>
    /// The worker's reconciliation on a clock two minutes ahead: the pipeline's API clock stands still at the
    /// run's start, and a window ends at a whole minute, so this puts that usage inside it.
    /// </summary>
    private OverageReconciliation Reconciliation(DateTimeOffset? now = null) =>
        ActivatorUtilities.CreateInstance<OverageReconciliation>(pipeline.Worker.Services, (TimeProvider)new SettableClock(now ?? DateTimeOffset.UtcNow.AddMinutes(2)));

    private async Task<(string Tenant, string Customer, HttpClient Client)> BilledTenantAsync()
    {
        await pipeline.ClearFaultsAsync();
        var (tenant, customer) = await pipeline.CreateBilledTenantAsync("pro");
        var client = pipeline.Backend(tenant);
        await client.ConsumeAsync(Consume("fill", 400)); // pro/drafts: hard limit 400, then overage
        return (tenant, customer, client);
    }

    private async Task<long> ConsumeSentAsync(string tenant, HttpClient client, string key, long quantity)
    {
        await client.ConsumeAsync(Consume(key, quantity));
        var id = await pipeline.UsageRecordIdAsync(tenant, key);
        await Eventually.Until(() => pipeline.Database.ScalarAsync<long>("SELECT count(*) FROM billing_meter_events WHERE usage_record_id = $1", id),
            count => count == 1, $"usage record {id} to be sent");
        return id;
    }

    private async Task<long> ConsumeRefusedAsync(string tenant, HttpClient client, string key, long quantity)
    {
        await client.ConsumeAsync(Consume(key, quantity));
        var id = await pipeline.UsageRecordIdAsync(tenant, key);
        await Eventually.Until(() => pipeline.MeterEventRequestsAsync(id), requests => Statuses(requests).SequenceEqual([400]), $"Stripe to refuse usage record {id}");
        return id;
    }

    private async Task<DateTimeOffset> OccurredAtAsync(long id) =>
        new(await pipeline.Database.ScalarAsync<DateTime>("SELECT occurred_at FROM billing_outbox WHERE usage_record_id = $1", id));

    private Task SendDirectlyAsync(string customer, string identifier, long value, DateTimeOffset at) =>
        new MeterEventService(pipeline.StripeClient).CreateAsync(new MeterEventCreateOptions
        {
            EventName = pipeline.EventNames["drafts"], Identifier = identifier, Timestamp = at.UtcDateTime,
            Payload = new() { ["stripe_customer_id"] = customer, ["value"] = value.ToString(CultureInfo.InvariantCulture) },
        });

    /// <summary>Stripe's event summary for the customer over the last day.</summary>
    private async Task<decimal> StripeTotalAsync(string customer, string operationClass)
    {
        var meter = await pipeline.Database.ScalarAsync<string>("SELECT stripe_id FROM stripe_catalog WHERE kind = 'meter' AND key = $1", operationClass);
        var end = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.AddMinutes(2).ToUnixTimeSeconds() / 60 * 60);
        var summaries = await new MeterEventSummaryService(pipeline.StripeClient).ListAsync(meter, new MeterEventSummaryListOptions
        {
            Customer = customer, StartTime = end.AddDays(-2).UtcDateTime, EndTime = end.UtcDateTime,
        });
        return summaries.Data.Sum(s => (decimal)s.AggregatedValue);
    }

    private static IEnumerable<int> Statuses(IEnumerable<System.Text.Json.Nodes.JsonObject> requests) => requests.Select(r => r["status"]!.GetValue<int>()).ToList();

    private static string Identifier(long id) => id.ToString(CultureInfo.InvariantCulture);

    private static object Consume(string key, long quantity) => new { subjectId = "user-1", operationClass = "drafts", quantity, idempotencyKey = key };
}
