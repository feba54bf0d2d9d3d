using TenantQuota.Testing;

namespace TenantQuota.Worker.Tests.Schedules;

/// <summary>Worker:ReconcileInterval: a worker reconciles by itself, over a database and a LocalStripe of the test's own.</summary>
public sealed class ReconciliationScheduleTests
{
    [Fact]
    public async Task A_worker_sends_on_its_reconciliation_schedule_what_the_pipeline_lost()
    {
        await using var stack = await OwnBillingStack.CreateAsync(withApi: true);
        await stack.RunCliAsync(["catalog", "sync"]);
        var tenant = await stack.Api.CreateTenantAsync("pro");
        var customer = await stack.AddCustomerAsync(tenant);
        var client = stack.Backend(tenant);
        await client.ConsumeAsync(new { subjectId = "user-1", operationClass = "drafts", quantity = 400, idempotencyKey = "fill" });
        await client.ConsumeAsync(new { subjectId = "user-1", operationClass = "drafts", quantity = 6, idempotencyKey = "over" });
        var id = await stack.UsageRecordIdAsync(tenant, "over");
        // Published, then lost (a purged queue, say): the dispatcher will not publish it again.
        await stack.Database.ExecuteAsync("UPDATE billing_outbox SET dispatched_at = now() WHERE usage_record_id = $1", id);
        var queue = $"reconcile-schedule-{Guid.NewGuid():N}";
        var settings = stack.Settings(new Dictionary<string, string?>(TestRabbitMq.ScheduleTests.Settings())
        {
            ["Worker:OverageQueue"] = queue,
            ["Worker:ReconcileInterval"] = "00:00:00.200",
            ["Worker:BillingHousekeepingInterval"] = "00:00:00",
        });

        try
        {
            await using var worker = await WorkerProcess.StartAsync(settings);
            var sent = await Eventually.Until(() => stack.StripeAdmin.AcceptedMeterEventsAsync(id), events => events.Count > 0, "the reconciliation to send the lost overage");

            Assert.Equal((customer, "6"), ((string?)Assert.Single(sent)["payload"]!["stripe_customer_id"], (string?)sent[0]["payload"]!["value"]));
            // The worker records the event as sent right after Stripe accepted it, in its own transaction.
            var recorded = await Eventually.Until(
                () => stack.Database.ScalarAsync<string>("SELECT stripe_customer_id FROM billing_meter_events WHERE usage_record_id = $1", id),
                value => value is not null, "the reconciliation to record the event as sent");
            Assert.Equal(customer, recorded);
        }
        finally
        {
            await TestRabbitMq.ScheduleTests.DeleteAsync(queue, queue + "_error");
        }
    }
}
