using System.Net.Http.Json;
using System.Globalization;
using Stripe;
using Stripe.Billing;
using TenantQuota.Contracts;
using TenantQuota.Testing;

namespace TenantQuota.Worker.Tests;

/// <summary>Overage reaches Stripe as exactly one meter event per usage record, whatever the delivery does.</summary>
[Collection(BillingPipelineCollection.Name)]
public sealed class MeterEventTests(BillingPipeline pipeline)
{
    [Fact]
    public async Task Sends_one_meter_event_per_billable_consume_with_the_usage_record_as_identifier_and_the_billable_part_as_value()
    {
        var (tenant, customer) = await pipeline.CreateBilledTenantAsync("pro");
        var client = pipeline.Backend(tenant);
        await client.ConsumeAsync(Consume("fill", 398));
        var answer = await client.ConsumeAsync(Consume("over", 5));
        var id = await pipeline.UsageRecordIdAsync(tenant, "over");

        var events = await Eventually.Until(() => pipeline.AcceptedMeterEventsAsync(id), e => e.Count > 0, "the meter event");
        // Dispatched: committed after RabbitMQ confirmed the publish, which may come after the consumer has finished.
        var row = (await Eventually.Until(() => pipeline.OutboxRowsAsync(tenant), r => r.Single().DispatchedAt is not null, "the dispatch to be committed")).Single();

        var sent = Assert.Single(events);
        Assert.Equal(pipeline.EventNames["drafts"], (string?)sent["eventName"]);
        Assert.Equal(customer, (string?)sent["payload"]!["stripe_customer_id"]);
        Assert.Equal(answer.Json["billableQuantity"]!.GetValue<long>().ToString(), (string?)sent["payload"]!["value"]);
        Assert.Equal("3", (string?)sent["payload"]!["value"]);
        Assert.Equal(row.OccurredAt.ToUnixTimeSeconds(), sent["timestamp"]!.GetValue<long>());
        var request = Assert.Single(await pipeline.MeterEventRequestsAsync(id));
        Assert.Equal($"meter-event-{id}", (string?)request["idempotencyKey"]);
        await Eventually.Until(() => pipeline.Database.ScalarAsync<long>("SELECT count(*) FROM billing_meter_events WHERE usage_record_id = $1", id),
            count => count == 1, "the sent meter event to be recorded");
    }

    [Fact]
    public async Task Sends_one_meter_event_when_the_same_overage_is_delivered_three_times_at_once()
    {
        var (tenant, _) = await pipeline.CreateBilledTenantAsync("enterprise");
        var client = pipeline.Backend(tenant);
        using var deliveries = new DeliveryCounter(pipeline.Worker);
        await client.ConsumeAsync(Consume("fill", 20_000));
        await client.ConsumeAsync(Consume("over", 2));
        var row = (await pipeline.OutboxRowsAsync(tenant)).Single();
        var id = row.UsageRecordId;

        // What a redelivery looks like: the dispatcher's publish plus two more of the very same message.
        var message = new OverageRecorded(id, tenant, row.OperationClass, row.Quantity, row.OccurredAt);
        await Task.WhenAll(pipeline.Worker.Bus.Publish(message), pipeline.Worker.Bus.Publish(message));
        await Eventually.Until(() => Task.FromResult(deliveries.Consumed(id)), n => n >= 3, "three consumed deliveries");

        Assert.Single(await pipeline.AcceptedMeterEventsAsync(id));
        Assert.Single(await pipeline.MeterEventRequestsAsync(id)); // the later deliveries found it sent and did not call Stripe
        Assert.Equal(1, await pipeline.Database.ScalarAsync<long>("SELECT count(*) FROM billing_meter_events WHERE usage_record_id = $1", id));
    }

    /// <summary>Stripe stores a 500 under the key once the endpoint began; retrying that key would get it back for 24 h.</summary>
    [Fact]
    public async Task Sends_under_the_next_derived_key_once_Stripe_has_stored_a_server_error_under_the_first()
    {
        var (tenant, _) = await pipeline.CreateBilledTenantAsync("pro");
        var client = pipeline.Backend(tenant);
        (await pipeline.StripeAdmin.PostAsJsonAsync("/_faults", new { pathPrefix = "/v1/billing/meter_events", method = "POST", status = 500, stored = true }))
            .EnsureSuccessStatusCode();
        await client.ConsumeAsync(Consume("fill", 400));
        await client.ConsumeAsync(Consume("over", 2));
        var id = await pipeline.UsageRecordIdAsync(tenant, "over");

        await Eventually.Until(() => pipeline.Database.ScalarAsync<long>("SELECT count(*) FROM billing_meter_events WHERE usage_record_id = $1", id),
            count => count == 1, "the meter event to be sent and recorded");
        var requests = await pipeline.MeterEventRequestsAsync(id);

        Assert.Single(await pipeline.AcceptedMeterEventsAsync(id));
        Assert.Equal([(500, $"meter-event-{id}"), (500, $"meter-event-{id}"), (500, $"meter-event-{id}"), (200, $"meter-event-{id}-2")],
            requests.Select(r => (r["status"]!.GetValue<int>(), (string?)r["idempotencyKey"])));
    }

    [Fact]
    public async Task Sends_once_through_a_storm_of_server_errors_and_rate_limits_with_one_idempotency_key()
    {
        var (tenant, _) = await pipeline.CreateBilledTenantAsync("pro");
        var client = pipeline.Backend(tenant);
        var poisonedBefore = (await pipeline.BillingHealthAsync())["poisonedSinceStart"]!.GetValue<long>();
        await pipeline.InjectMeterEventFaultAsync(500, count: 4);
        await pipeline.InjectMeterEventFaultAsync(429, count: 4);
        await client.ConsumeAsync(Consume("fill", 400));
        await client.ConsumeAsync(Consume("over", 1));
        var id = await pipeline.UsageRecordIdAsync(tenant, "over");

        await Eventually.Until(() => pipeline.AcceptedMeterEventsAsync(id), e => e.Count > 0, "the meter event after the storm");
        var requests = await pipeline.MeterEventRequestsAsync(id);

        Assert.Single(await pipeline.AcceptedMeterEventsAsync(id));
        Assert.Equal([(200, 1), (429, 4), (500, 4)],
            requests.GroupBy(r => r["status"]!.GetValue<int>()).Select(g => (g.Key, g.Count())).OrderBy(g => g.Key));
        Assert.All(requests, r => Assert.Equal($"meter-event-{id}", (string?)r["idempotencyKey"]));
        Assert.Equal(poisonedBefore, (await pipeline.BillingHealthAsync())["poisonedSinceStart"]!.GetValue<long>());
    }

    [Fact]
    public async Task Holds_overage_of_a_tenant_without_a_Stripe_customer_and_sends_it_once_when_the_customer_exists()
    {
        var tenant = await pipeline.Api.CreateTenantAsync("pro");
        var client = pipeline.Backend(tenant);
        await client.ConsumeAsync(Consume("fill", 400));
        await client.ConsumeAsync(Consume("over", 6));
        var id = await pipeline.UsageRecordIdAsync(tenant, "over");

        var reason = await Eventually.Until(
            () => pipeline.Database.ScalarAsync<string>("SELECT reason FROM billing_overage_holds WHERE usage_record_id = $1", id),
            r => r is not null, "the overage to be held");
        var health = await pipeline.BillingHealthAsync();
        Assert.Equal("no_customer", reason);
        Assert.True(health["heldCount"]!.GetValue<long>() >= 1);
        Assert.Empty(await pipeline.MeterEventRequestsAsync(id)); // held: no Stripe call

        var customer = await pipeline.AddCustomerAsync(tenant); // what checkout does
        var events = await Eventually.Until(() => pipeline.AcceptedMeterEventsAsync(id), e => e.Count > 0, "the released meter event");

        var sent = Assert.Single(events);
        Assert.Equal((customer, "6"), ((string?)sent["payload"]!["stripe_customer_id"], (string?)sent["payload"]!["value"]));
        await Eventually.Until(() => pipeline.Database.ScalarAsync<long>("SELECT count(*) FROM billing_overage_holds WHERE usage_record_id = $1", id),
            count => count == 0, "the hold to be gone");
        Assert.Single(await pipeline.MeterEventRequestsAsync(id));
    }

    [Fact]
    public async Task Holds_overage_of_a_class_without_a_meter_and_sends_it_once_the_catalogue_has_the_meter()
    {
        // pro/deep_research: hard limit 50, overage; no other test uses the class.
        var meter = await pipeline.Database.ScalarAsync<string>("SELECT stripe_id FROM stripe_catalog WHERE kind = 'meter' AND key = 'deep_research'");
        await pipeline.Database.ExecuteAsync("DELETE FROM stripe_catalog WHERE kind = 'meter' AND key = 'deep_research'");
        try
        {
            var (tenant, _) = await pipeline.CreateBilledTenantAsync("pro");
            var client = pipeline.Backend(tenant);
            await client.ConsumeAsync(Consume("fill", 50, "deep_research"));
            await client.ConsumeAsync(Consume("over", 2, "deep_research"));
            var id = await pipeline.UsageRecordIdAsync(tenant, "over");

            var reason = await Eventually.Until(
                () => pipeline.Database.ScalarAsync<string>("SELECT reason FROM billing_overage_holds WHERE usage_record_id = $1", id),
                r => r is not null, "the overage to be held");
            Assert.Equal("no_meter", reason);
            Assert.Empty(await pipeline.MeterEventRequestsAsync(id));

            await RestoreMeterAsync(meter!); // what the catalogue sync does
            var events = await Eventually.Until(() => pipeline.AcceptedMeterEventsAsync(id), e => e.Count > 0, "the released meter event");

            Assert.Equal(pipeline.EventNames["deep_research"], (string?)Assert.Single(events)["eventName"]);
        }
        finally
        {
            await RestoreMeterAsync(meter!);
        }
    }

    [Fact]
    public async Task Publishes_again_a_row_whose_dispatch_was_not_committed_and_Stripe_still_gets_one_event()
    {
        // A crash between the publish and the commit leaves the row pending: it is published once more.
        var (tenant, _) = await pipeline.CreateBilledTenantAsync("pro");
        var client = pipeline.Backend(tenant);
        using var deliveries = new DeliveryCounter(pipeline.Worker);
        await client.ConsumeAsync(Consume("fill", 400));
        await client.ConsumeAsync(Consume("over", 3));
        var id = await pipeline.UsageRecordIdAsync(tenant, "over");
        await Eventually.Until(() => pipeline.AcceptedMeterEventsAsync(id), e => e.Count > 0, "the meter event");
        await Eventually.Until(() => Task.FromResult(deliveries.Consumed(id)), n => n == 1, "the first delivery to finish");

        await pipeline.Database.ExecuteAsync("UPDATE billing_outbox SET dispatched_at = NULL WHERE usage_record_id = $1", id);
        await Eventually.Until(() => Task.FromResult(deliveries.Consumed(id)), n => n == 2, "the second delivery");
        // The dispatcher commits dispatched_at after RabbitMQ confirms the publish; the consumer may have finished first.
        await Eventually.Until(() => pipeline.OutboxRowsAsync(tenant), r => r.Single().DispatchedAt is not null, "the second dispatch to be committed");

        Assert.Single(await pipeline.AcceptedMeterEventsAsync(id));
        Assert.Single(await pipeline.MeterEventRequestsAsync(id));
    }

    [Fact]
    public async Task Sends_a_meter_event_Stripe_refuses_to_the_error_queue_and_shows_it_in_billing_health()
    {
        var (tenant, _) = await pipeline.CreateBilledTenantAsync("pro");
        var client = pipeline.Backend(tenant);
        var before = await pipeline.BillingHealthAsync();
        await pipeline.InjectMeterEventFaultAsync(400, count: 1);
        await client.ConsumeAsync(Consume("fill", 400));
        await client.ConsumeAsync(Consume("over", 2));
        var id = await pipeline.UsageRecordIdAsync(tenant, "over");

        var health = await Eventually.Until(pipeline.BillingHealthAsync,
            h => h["errorQueueDepth"]!.GetValue<long>() > before["errorQueueDepth"]!.GetValue<long>(), "the message in the error queue");

        Assert.Equal("degraded", (string?)health["status"]);
        Assert.Equal(BillingPipeline.Queue + "_error", (string?)health["errorQueue"]);
        Assert.Equal(before["poisonedSinceStart"]!.GetValue<long>() + 1, health["poisonedSinceStart"]!.GetValue<long>());
        Assert.Contains(health["alerts"]!.AsArray(), a => ((string?)a)!.Contains(BillingPipeline.Queue + "_error"));
        var request = Assert.Single(await pipeline.MeterEventRequestsAsync(id)); // a refusal is not retried
        Assert.Equal(400, request["status"]!.GetValue<int>());
        Assert.Empty(await pipeline.AcceptedMeterEventsAsync(id));
        Assert.Equal(0, await pipeline.Database.ScalarAsync<long>("SELECT count(*) FROM billing_meter_events WHERE usage_record_id = $1", id));
    }

    [Fact]
    public async Task Gives_up_after_the_retry_limit_while_Stripe_stays_unavailable_and_reports_the_message_in_the_error_queue()
    {
        // Worker:RetryLimit is 10 here: the first attempt and ten retries, each answered 429 (which Stripe.net does not retry itself).
        var (tenant, _) = await pipeline.CreateBilledTenantAsync("pro");
        var client = pipeline.Backend(tenant);
        var before = await pipeline.BillingHealthAsync();
        await pipeline.InjectMeterEventFaultAsync(429, count: 11);
        await client.ConsumeAsync(Consume("fill", 400));
        await client.ConsumeAsync(Consume("over", 1));
        var id = await pipeline.UsageRecordIdAsync(tenant, "over");

        var health = await Eventually.Until(pipeline.BillingHealthAsync,
            h => h["errorQueueDepth"]!.GetValue<long>() > before["errorQueueDepth"]!.GetValue<long>(), "the message in the error queue");

        Assert.Equal(before["poisonedSinceStart"]!.GetValue<long>() + 1, health["poisonedSinceStart"]!.GetValue<long>());
        Assert.Equal(Enumerable.Repeat(429, 11), (await pipeline.MeterEventRequestsAsync(id)).Select(r => r["status"]!.GetValue<int>()));
        Assert.Empty(await pipeline.AcceptedMeterEventsAsync(id));
    }

    [Fact]
    public async Task Two_workers_share_the_outbox_and_send_each_overage_exactly_once()
    {
        await using var second = await pipeline.StartWorkerAsync();
        var (tenant, _) = await pipeline.CreateBilledTenantAsync("pro");
        var client = pipeline.Backend(tenant);
        await client.ConsumeAsync(Consume("fill", 400));
        await Task.WhenAll(Enumerable.Range(0, 30).Select(i => client.ConsumeAsync(Consume($"over-{i}", 1, subject: "user-1"))));
        var ids = (await pipeline.OutboxRowsAsync(tenant)).Select(r => r.UsageRecordId).ToList();

        await Eventually.Until(() => pipeline.Database.ScalarAsync<long>("SELECT count(*) FROM billing_meter_events WHERE tenant_id = $1", tenant),
            count => count == ids.Count, "every overage to be sent");

        Assert.Equal(30, ids.Count);
        foreach (var id in ids)
        {
            Assert.Single(await pipeline.AcceptedMeterEventsAsync(id));
            Assert.Single(await pipeline.MeterEventRequestsAsync(id));
        }
    }

    [Fact]
    public async Task Records_as_sent_an_overage_Stripe_refuses_as_a_duplicate_identifier_instead_of_faulting_it()
    {
        await pipeline.ClearFaultsAsync();
        var tenant = await pipeline.Api.CreateTenantAsync("pro");
        var customer = await new CustomerService(pipeline.StripeClient).CreateAsync(new CustomerCreateOptions { Name = tenant });
        var client = pipeline.Backend(tenant);
        await client.ConsumeAsync(Consume("fill", 400));
        await client.ConsumeAsync(Consume("over", 4));
        var id = await pipeline.UsageRecordIdAsync(tenant, "over");
        await Eventually.Until(() => pipeline.Database.ScalarAsync<string>("SELECT reason FROM billing_overage_holds WHERE usage_record_id = $1", id),
            reason => reason == "no_customer", "the overage to be held");
        // Stripe gets the event first by another road (reconciliation, or an attempt whose answer was lost), under another Idempotency-Key.
        await new MeterEventService(pipeline.StripeClient).CreateAsync(new MeterEventCreateOptions
        {
            EventName = pipeline.EventNames["drafts"], Identifier = id.ToString(CultureInfo.InvariantCulture),
            Payload = new() { ["stripe_customer_id"] = customer.Id, ["value"] = "4" }, Timestamp = (await pipeline.OutboxRowsAsync(tenant)).Single().OccurredAt.UtcDateTime,
        });
        var before = await pipeline.BillingHealthAsync();

        await pipeline.Database.ExecuteAsync("INSERT INTO billing_customers (tenant_id, stripe_customer_id, created_at) VALUES ($1, $2, now())", tenant, customer.Id);
        var recordedFor = await Eventually.Until(
            () => pipeline.Database.ScalarAsync<string>("SELECT stripe_customer_id FROM billing_meter_events WHERE usage_record_id = $1", id),
            c => c is not null, "the overage to be recorded as sent");

        var requests = await pipeline.MeterEventRequestsAsync(id);
        var after = await pipeline.BillingHealthAsync();
        Assert.Equal(customer.Id, recordedFor);
        Assert.Equal([200, 400], requests.Select(r => r["status"]!.GetValue<int>()));
        Assert.Equal($"meter-event-{id}", (string?)requests[1]["idempotencyKey"]);
        Assert.Single(await pipeline.AcceptedMeterEventsAsync(id));
        Assert.Equal(0, await pipeline.Database.ScalarAsync<long>("SELECT count(*) FROM billing_overage_holds WHERE usage_record_id = $1", id));
        Assert.Equal((before["poisonedSinceStart"]!.GetValue<long>(), before["errorQueueDepth"]!.GetValue<long>()),
            (after["poisonedSinceStart"]!.GetValue<long>(), after["errorQueueDepth"]!.GetValue<long>()));
    }

    private Task RestoreMeterAsync(string meter) => pipeline.Database.ExecuteAsync(
        "INSERT INTO stripe_catalog (kind, key, stripe_id, event_name, updated_at) VALUES ('meter', 'deep_research', $1, $2, now()) ON CONFLICT DO NOTHING",
        meter, pipeline.EventNames["deep_research"]);

    private static object Consume(string key, long quantity, string operationClass = "drafts", string subject = "user-1") =>
        new { subjectId = subject, operationClass, quantity, idempotencyKey = key };
}
