using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using TenantQuota.Domain.Governance;
using TenantQuota.Testing;
using TenantQuota.Worker.Alerts;
using TenantQuota.Worker.Webhooks;

namespace TenantQuota.Worker.Tests;

/// <summary>
/// Threshold alerts from end to end: consumes through the API move a department's counter, the worker's
/// evaluator opens and closes thresholds, the events go through RabbitMQ and reach a real HTTP receiver, signed.
/// </summary>
[Collection(BillingPipelineCollection.Name)]
public sealed class AlertWebhookTests(BillingPipeline pipeline) : IAsyncLifetime
{
    private WebhookReceiver _receiver = null!;

    public async Task InitializeAsync()
    {
        // The evaluator reads the counters of the windows current by the worker's real clock; the API's clock stood still
        // since the collection started, so catch it up (a day or month may have ended in between).
        pipeline.Api.Clock.Set(DateTimeOffset.UtcNow);
        _receiver = await WebhookReceiver.StartAsync();
    }

    public async Task DisposeAsync() => await _receiver.DisposeAsync();

    private AlertEvaluator Evaluator => pipeline.Worker.Services.GetRequiredService<AlertEvaluator>();

    private sealed record Tenant(string Id, HttpClient Admin, HttpClient Backend, string Secret);

    /// <summary>An enterprise tenant with department "mkt" (a budget of <paramref name="limit"/> requests, thresholds 0.5 and 1) holding "ana", and a webhook endpoint at the receiver.</summary>
    private async Task<Tenant> TenantAsync(long limit, string[]? events = null)
    {
        var id = await pipeline.Api.CreateTenantAsync("enterprise");
        var admin = pipeline.Api.Client(TestTokens.For(id, "tenant.admin"));
        Assert.Equal(201, (await admin.SendAsync(HttpMethod.Put, "/v1/tenant/departments/mkt", Department(limit))).Status);
        Assert.Equal(200, (await admin.SendAsync(HttpMethod.Put, "/v1/tenant/subjects/ana", new { departmentId = "mkt" })).Status);
        var endpoint = await admin.SendAsync(HttpMethod.Post, "/v1/tenant/webhooks", new { url = _receiver.Url.ToString(), events = events ?? ["alert.*"] });
        Assert.Equal(201, endpoint.Status);
        return new Tenant(id, admin, pipeline.Backend(id), (string)endpoint.Json["secret"]!);
    }

    private static object Department(long limit) =>
        new { name = "Marketing", budget = new { limit, unit = "request", period = "monthly", overQuota = "block", alertThresholds = new[] { 0.5, 1.0 } } };

    private static async Task ConsumeAsync(Tenant t, long quantity) =>
        Assert.Equal(200, (await t.Backend.ConsumeAsync(new { subjectId = "ana", operationClass = "summaries", quantity, idempotencyKey = Guid.NewGuid().ToString("N") })).Status);

    private async Task<List<JsonObject>> EventsAsync(Tenant t) =>
        (await t.Admin.SendAsync(HttpMethod.Get, "/v1/tenant/alerts")).Json["items"]!.AsArray().Select(i => i!.AsObject()).ToList();

    /// <summary>The receiver's requests for the tenant's events, each checked against the endpoint's secret as a receiver would.</summary>
    private List<JsonObject> DeliveredTo(Tenant t) => _receiver.Requests
        .Where(r => r.AnsweredStatus == 200)
        .Select(r => (Request: r, Body: JsonNode.Parse(r.Body)!.AsObject()))
        .Where(r => (string)r.Body["tenantId"]! == t.Id)
        .Select(r =>
        {
            Assert.True(WebhookSignature.Verify(r.Request.Signature, t.Secret, r.Request.Body, DateTimeOffset.UtcNow), $"signature {r.Request.Signature}");
            return r.Body;
        })
        .ToList();

    [Fact]
    public async Task Crossing_a_threshold_raises_one_alert_that_reaches_the_webhook_signed_and_once()
    {
        var t = await TenantAsync(limit: 10);
        await ConsumeAsync(t, 4);
        await Evaluator.EvaluateAsync(t.Id, CancellationToken.None);
        Assert.Empty(await EventsAsync(t));

        await ConsumeAsync(t, 1);
        Assert.Equal(1, await Evaluator.EvaluateAsync(t.Id, CancellationToken.None));
        Assert.Equal(0, await Evaluator.EvaluateAsync(t.Id, CancellationToken.None)); // still over 50 %: nothing new
        await ConsumeAsync(t, 1);
        Assert.Equal(0, await Evaluator.EvaluateAsync(t.Id, CancellationToken.None));

        var alert = Assert.Single(await EventsAsync(t));
        Assert.Equal(WebhookEvents.ThresholdCrossed, (string)alert["type"]!);
        var data = alert["data"]!;
        Assert.Equal(("department", "mkt", "request", 0.5m, 5m, 10m),
            ((string)data["level"]!, (string)data["ownerId"]!, (string)data["unit"]!, (decimal)data["threshold"]!, (decimal)data["used"]!, (decimal)data["limit"]!));

        await Eventually.Until(() => Task.FromResult(DeliveredTo(t).Count), count => count == 1, "the alert to reach the webhook");
        var delivered = Assert.Single(DeliveredTo(t));
        Assert.Equal((string)alert["id"]!, (string)delivered["id"]!);
        Assert.Equal(WebhookEvents.ThresholdCrossed, (string)delivered["type"]!);
        Assert.Equal(0.5m, (decimal)delivered["data"]!["threshold"]!);
    }

    [Fact]
    public async Task A_raised_limit_recovers_the_open_thresholds_and_crossing_again_raises_again()
    {
        var t = await TenantAsync(limit: 4);
        await ConsumeAsync(t, 4);
        Assert.Equal(2, await Evaluator.EvaluateAsync(t.Id, CancellationToken.None)); // 50 % and 100 %

        Assert.Equal(200, (await t.Admin.SendAsync(HttpMethod.Put, "/v1/tenant/departments/mkt", Department(6))).Status);
        Assert.Equal(1, await Evaluator.EvaluateAsync(t.Id, CancellationToken.None)); // 4 of 6: under 100 %, still over 50 %
        var recovered = (await EventsAsync(t))[0];
        Assert.Equal((WebhookEvents.Recovered, 1.0m), ((string)recovered["type"]!, (decimal)recovered["data"]!["threshold"]!));

        await ConsumeAsync(t, 2);
        Assert.Equal(1, await Evaluator.EvaluateAsync(t.Id, CancellationToken.None));
        Assert.Equal([WebhookEvents.ThresholdCrossed, WebhookEvents.Recovered, WebhookEvents.ThresholdCrossed, WebhookEvents.ThresholdCrossed],
            (await EventsAsync(t)).Select(e => (string)e["type"]!));
        await Eventually.Until(() => Task.FromResult(DeliveredTo(t).Count), count => count == 4, "the four events to reach the webhook");
    }

    [Fact]
    public async Task A_threshold_still_reached_in_a_new_period_closes_the_old_periods_alert_and_raises_its_own()
    {
        var t = await TenantAsync(limit: 10);
        await ConsumeAsync(t, 5);
        Assert.Equal(1, await Evaluator.EvaluateAsync(t.Id, CancellationToken.None));
        // As if that alert were raised last month and this month had already used as much when first looked at.
        await pipeline.Database.ExecuteAsync("UPDATE alert_states SET window_start = window_start - interval '1 month' WHERE tenant_id = $1", t.Id);

        Assert.Equal(2, await Evaluator.EvaluateAsync(t.Id, CancellationToken.None));

        var events = await EventsAsync(t);
        Assert.Equal([WebhookEvents.ThresholdCrossed, WebhookEvents.Recovered, WebhookEvents.ThresholdCrossed],
            events.OrderByDescending(e => (DateTime)e["createdAt"]!).ThenBy(e => (string)e["type"]! == WebhookEvents.Recovered ? 1 : 0).Select(e => (string)e["type"]!));
        Assert.Contains(events, e => (string?)e["data"]!["reason"] == "new_period");
        Assert.Equal(0, await Evaluator.EvaluateAsync(t.Id, CancellationToken.None));
    }

    [Fact]
    public async Task Workers_evaluating_at_once_raise_each_threshold_once()
    {
        var t = await TenantAsync(limit: 2);
        await ConsumeAsync(t, 2);
        await using var second = await pipeline.StartWorkerAsync();
        var other = second.Services.GetRequiredService<AlertEvaluator>();

        var written = await Task.WhenAll(Enumerable.Range(0, 6).Select(i => (i % 2 == 0 ? Evaluator : other).EvaluateAsync(t.Id, CancellationToken.None)));

        Assert.Equal(2, written.Sum());
        Assert.Equal(2, (await EventsAsync(t)).Count);
    }

    [Fact]
    public async Task A_failing_receiver_is_tried_again_later_until_it_answers_2xx_and_then_never_again()
    {
        var t = await TenantAsync(limit: 2);
        _receiver.FailNext(2);
        await ConsumeAsync(t, 1);
        Assert.Equal(1, await Evaluator.EvaluateAsync(t.Id, CancellationToken.None));
        var eventId = (string)(await EventsAsync(t))[0]["id"]!;

        var first = await DeliveryAsync(t, eventId, row => row.Attempts == 1);
        Assert.Equal(500, first.LastStatus);
        Assert.InRange(first.NextAttemptAt - first.ObservedAt, TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(40)); // the first retry waits 30 s

        await MakeDueAsync(t, eventId);
        var second = await DeliveryAsync(t, eventId, row => row.Attempts == 2);
        Assert.InRange(second.NextAttemptAt - second.ObservedAt, TimeSpan.FromSeconds(50), TimeSpan.FromSeconds(70)); // then 60 s

        await MakeDueAsync(t, eventId);
        var third = await DeliveryAsync(t, eventId, row => row.DeliveredAt is not null);
        Assert.Equal((3, 200), (third.Attempts, third.LastStatus));

        await MakeDueAsync(t, eventId); // a delivered row is never due again, whatever its time says
        await pipeline.Worker.Services.GetRequiredService<WebhookSender>().DeliverDueAsync(CancellationToken.None);
        Assert.Single(DeliveredTo(t));
        Assert.Equal(3, _receiver.Requests.Count(r => r.Body.Contains(eventId, StringComparison.Ordinal)));
    }

    [Fact]
    public async Task A_projection_past_the_limit_raises_one_overrun_alert_with_its_day_and_recovers_when_the_limit_is_raised()
    {
        // 14 days of 100 requests a day in marketing, nothing used this month yet: the month is expected to use 100 a day.
        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        var daysLeft = new DateOnly(today.Year, today.Month, 1).AddMonths(1).DayNumber - today.DayNumber;
        var t = await TenantAsync(limit: 100L * daysLeft - 50);
        for (var day = 1; day <= 14; day++)
            await pipeline.Database.ExecuteAsync("INSERT INTO usage_hourly_groups VALUES ($1, $2, 'summaries', 'mkt', '', 100, 0, 0, 0, 100)",
                t.Id, new DateTimeOffset(today.AddDays(-day).ToDateTime(new TimeOnly(10, 0)), TimeSpan.Zero));

        Assert.Equal(1, await Evaluator.EvaluateAsync(t.Id, CancellationToken.None));
        Assert.Equal(0, await Evaluator.EvaluateAsync(t.Id, CancellationToken.None));
        var alert = Assert.Single(await EventsAsync(t));
        Assert.Equal(WebhookEvents.ProjectedOverrun, (string)alert["type"]!);
        Assert.Equal((100m * daysLeft, today.AddDays(daysLeft - 1).ToString("yyyy-MM-dd")),
            ((decimal)alert["data"]!["projected"]!, (string)alert["data"]!["overrunOn"]!));

        Assert.Equal(200, (await t.Admin.SendAsync(HttpMethod.Put, "/v1/tenant/departments/mkt", Department(100L * daysLeft + 1))).Status);
        Assert.Equal(1, await Evaluator.EvaluateAsync(t.Id, CancellationToken.None));
        Assert.Equal(WebhookEvents.Recovered, (string)(await EventsAsync(t))[0]["type"]!);
        await Eventually.Until(() => Task.FromResult(DeliveredTo(t).Count), count => count == 2, "both events to reach the webhook");
    }

    [Fact]
    public async Task A_person_reaching_a_share_of_their_cell_raises_one_alert_and_a_new_window_recovers_it()
    {
        var tenant = await pipeline.Api.CreateTenantAsync("pro"); // summaries: hard limit 200 a day
        var admin = pipeline.Api.Client(TestTokens.For(tenant, "tenant.admin"));
        Assert.Equal(200, (await admin.SendAsync(HttpMethod.Put, "/v1/tenant/cell-alerts", new { summaries = new[] { 0.5, 1.0 } })).Status);
        var backend = pipeline.Backend(tenant);
        async Task Consume(string subject, long quantity) => Assert.Equal(200,
            (await backend.ConsumeAsync(new { subjectId = subject, operationClass = "summaries", quantity, idempotencyKey = Guid.NewGuid().ToString("N") })).Status);

        await Consume("ana", 99);
        await Consume("bob", 5);
        Assert.Equal(0, await Evaluator.EvaluateAsync(tenant, CancellationToken.None));
        await Consume("ana", 1);
        Assert.Equal(1, await Evaluator.EvaluateAsync(tenant, CancellationToken.None));
        Assert.Equal(0, await Evaluator.EvaluateAsync(tenant, CancellationToken.None));

        var alerts = (await admin.SendAsync(HttpMethod.Get, "/v1/tenant/alerts")).Json["items"]!.AsArray();
        var data = Assert.Single(alerts)!["data"]!;
        Assert.Equal(("subject", "ana", "summaries", 0.5m, 100L, 200L),
            ((string)data["level"]!, (string)data["ownerId"]!, (string)data["operationClass"]!, (decimal)data["threshold"]!, (long)data["used"]!, (long)data["limit"]!));

        // The day is over: ana's counter is last window's.
        await pipeline.Database.ExecuteAsync(
            "UPDATE quota_counters SET window_start = window_start - interval '2 days', window_end = now() - interval '1 second' WHERE tenant_id = $1", tenant);
        Assert.Equal(1, await Evaluator.EvaluateAsync(tenant, CancellationToken.None));
        var recovered = (await admin.SendAsync(HttpMethod.Get, "/v1/tenant/alerts")).Json["items"]!.AsArray()[0]!;
        Assert.Equal((WebhookEvents.Recovered, "new_window"), ((string)recovered["type"]!, (string)recovered["data"]!["reason"]!));
    }

    private sealed record DeliveryRow(int Attempts, int? LastStatus, DateTimeOffset NextAttemptAt, DateTimeOffset? DeliveredAt, DateTimeOffset ObservedAt);

    private async Task<DeliveryRow> DeliveryAsync(Tenant t, string eventId, Func<DeliveryRow, bool> until)
    {
        DeliveryRow? row = null;
        await Eventually.Until(async () =>
        {
            await using var command = pipeline.Database.DataSource.CreateCommand(
                "SELECT attempts, last_status, next_attempt_at, delivered_at, now() FROM webhook_deliveries WHERE tenant_id = $1 AND event_id = $2");
            command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = t.Id });
            command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = eventId });
            await using var reader = await command.ExecuteReaderAsync();
            row = await reader.ReadAsync()
                ? new DeliveryRow(reader.GetInt32(0), reader.IsDBNull(1) ? null : reader.GetInt32(1), reader.GetFieldValue<DateTimeOffset>(2),
                    reader.IsDBNull(3) ? null : reader.GetFieldValue<DateTimeOffset>(3), reader.GetFieldValue<DateTimeOffset>(4))
                : null;
            return row;
        }, r => r is not null && until(r), $"delivery of {eventId} to reach the expected state");
        return row!;
    }

    /// <summary>The retry's time has come: the row's next attempt moves to now, and the sender is woken.</summary>
    private async Task MakeDueAsync(Tenant t, string eventId)
    {
        await pipeline.Database.ExecuteAsync("UPDATE webhook_deliveries SET next_attempt_at = now() WHERE tenant_id = $1 AND event_id = $2", t.Id, eventId);
        pipeline.Worker.Services.GetRequiredService<WebhookSender>().Wake();
    }
}
