using TenantQuota.Testing;

namespace TenantQuota.Worker.Tests;

/// <summary>tq_consume writes the billing outbox row in the consume's own transaction, and only for billable overage.</summary>
[Collection(BillingPipelineCollection.Name)]
public sealed class OutboxTests(BillingPipeline pipeline)
{
    [Fact]
    public async Task Writes_one_outbox_row_with_the_part_past_the_hard_limit_of_an_overage_cell()
    {
        // pro/drafts: hard limit 400, overage
        var tenant = await pipeline.Api.CreateTenantAsync("pro");
        var client = pipeline.Backend(tenant);
        await client.ConsumeAsync(Consume("fill", "drafts", 398));
        var crossing = await client.ConsumeAsync(Consume("crossing", "drafts", 5));
        var past = await client.ConsumeAsync(Consume("past", "drafts", 2));

        var rows = await pipeline.OutboxRowsAsync(tenant);

        Assert.Equal(("overage", 3L), (crossing.Decision, crossing.Json["billableQuantity"]!.GetValue<long>()));
        Assert.Equal(
            [(await pipeline.UsageRecordIdAsync(tenant, "crossing"), "drafts", 3L), (await pipeline.UsageRecordIdAsync(tenant, "past"), "drafts", 2L)],
            rows.Select(r => (r.UsageRecordId, r.OperationClass, r.Quantity)));
        Assert.Equal(past.Json["billableQuantity"]!.GetValue<long>(), rows[1].Quantity);
        Assert.Equal(await pipeline.Database.ScalarAsync<DateTime>("SELECT created_at FROM usage_records WHERE id = $1", rows[0].UsageRecordId),
            rows[0].OccurredAt.UtcDateTime);
    }

    [Fact]
    public async Task Writes_no_outbox_row_for_a_denied_consume_an_advisory_overrun_or_usage_within_the_limit()
    {
        // pro: background_indexing blocks at 5000, summaries warns past 200, drafts bills only past 400
        var tenant = await pipeline.Api.CreateTenantAsync("pro");
        var client = pipeline.Backend(tenant);
        await client.ConsumeAsync(Consume("fill-block", "background_indexing", 5000));
        var denied = await client.ConsumeAsync(Consume("denied", "background_indexing", 1));
        var warned = await client.ConsumeAsync(Consume("warned", "summaries", 250));
        var within = await client.ConsumeAsync(Consume("within", "drafts", 400));

        Assert.Equal(("deny", "warn", "warn"), (denied.Decision, warned.Decision, within.Decision));
        Assert.Empty(await pipeline.OutboxRowsAsync(tenant));
    }

    [Fact]
    public async Task Writes_no_second_outbox_row_when_a_billable_consume_is_replayed_with_its_key()
    {
        var tenant = await pipeline.Api.CreateTenantAsync("pro");
        var client = pipeline.Backend(tenant);
        await client.ConsumeAsync(Consume("fill", "drafts", 400));
        var first = await client.ConsumeAsync(Consume("billable", "drafts", 4));
        var replay = await client.ConsumeAsync(Consume("billable", "drafts", 4));

        Assert.True((bool)replay.Json["duplicate"]!);
        Assert.Equal(4, replay.Json["billableQuantity"]!.GetValue<long>());
        Assert.Equal([4L], (await pipeline.OutboxRowsAsync(tenant)).Select(r => r.Quantity));
        Assert.Equal(first.Json["billableQuantity"]!.GetValue<long>(), replay.Json["billableQuantity"]!.GetValue<long>());
    }

    [Fact]
    public async Task Keeps_one_outbox_row_when_many_requests_race_with_one_new_billable_key()
    {
        // The losers of the race fail on the idempotency key and roll back whole, outbox row included.
        var tenant = await pipeline.Api.CreateTenantAsync("pro");
        var client = pipeline.Backend(tenant);
        await client.ConsumeAsync(Consume("fill", "drafts", 400));

        var answers = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => client.ConsumeAsync(Consume("raced", "drafts", 7))));

        Assert.All(answers, a => Assert.Equal(200, a.Status));
        Assert.Equal([7L], (await pipeline.OutboxRowsAsync(tenant)).Select(r => r.Quantity));
        Assert.Equal(1, await pipeline.Database.ScalarAsync<long>("SELECT count(*) FROM usage_records WHERE tenant_id = $1 AND idempotency_key = 'raced'", tenant));
    }

    private static object Consume(string key, string operationClass, long quantity, string subject = "user-1") =>
        new { subjectId = subject, operationClass, quantity, idempotencyKey = key };
}
