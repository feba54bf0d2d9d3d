using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using TenantQuota.Domain.Governance;
using TenantQuota.Testing;
using TenantQuota.Worker.Reports;

namespace TenantQuota.Worker.Tests;

/// <summary>The weekly usage report: last week's rollups, for the subscribed departments, sent once, to the endpoints subscribed to report.usage.</summary>
[Collection(BillingPipelineCollection.Name)]
public sealed class UsageReportTests(BillingPipeline pipeline) : IAsyncLifetime
{
    private WebhookReceiver _receiver = null!;

    public async Task InitializeAsync() => _receiver = await WebhookReceiver.StartAsync();

    public async Task DisposeAsync() => await _receiver.DisposeAsync();

    [Fact]
    public async Task Last_weeks_report_of_the_subscribed_departments_is_sent_once_to_the_endpoints_that_want_it()
    {
        var tenant = await pipeline.Api.CreateTenantAsync("enterprise");
        var admin = pipeline.Api.Client(TestTokens.For(tenant, "tenant.admin"));
        foreach (var department in new[] { "mkt", "ops" })
            Assert.Equal(201, (await admin.SendAsync(HttpMethod.Put, $"/v1/tenant/departments/{department}", new { name = department })).Status);
        Assert.Equal(200, (await admin.SendAsync(HttpMethod.Put, "/v1/tenant/reports/weekly", new { departments = new[] { "mkt" } })).Status);
        var reports = await admin.SendAsync(HttpMethod.Post, "/v1/tenant/webhooks", new { url = _receiver.Url.ToString(), events = new[] { "report.usage" } });
        await admin.SendAsync(HttpMethod.Post, "/v1/tenant/webhooks", new { url = _receiver.Url + "-alerts", events = new[] { "alert.*" } });

        var (from, to) = UsageReports.LastWeek(DateTimeOffset.UtcNow);
        foreach (var (hour, department, quantity, micro) in new[] { (from.AddHours(9), "mkt", 40L, 2_000_000L), (to.AddHours(-1), "mkt", 2L, 0L),
                     (from.AddHours(10), "ops", 99L, 0L), (from.AddHours(-1), "mkt", 1_000L, 0L) })
            await pipeline.Database.ExecuteAsync("INSERT INTO usage_hourly_groups VALUES ($1, $2, 'summaries', $3, '', $4, 0, 0, $5, 1)", tenant, hour, department, quantity, micro);

        var reportsService = pipeline.Worker.Services.GetRequiredService<UsageReports>();
        Assert.Equal(1, await reportsService.RunOnceAsync(CancellationToken.None));
        Assert.Equal(0, await reportsService.RunOnceAsync(CancellationToken.None));

        await Eventually.Until(() => Task.FromResult(_receiver.Requests.Count), count => count >= 1, "the report to reach the webhook");
        var delivery = Assert.Single(_receiver.Requests);
        Assert.EndsWith("/hooks", delivery.Path);
        Assert.True(WebhookSignature.Verify(delivery.Signature, (string)reports.Json["secret"]!, delivery.Body, DateTimeOffset.UtcNow));
        var report = JsonNode.Parse(delivery.Body)!;
        Assert.Equal(WebhookEvents.UsageReport, (string)report["type"]!);
        var row = Assert.Single(report["data"]!["rows"]!.AsArray())!;
        Assert.Equal(("mkt", "summaries", 42L, 2m), ((string)row["departmentId"]!, (string)row["operationClass"]!, (long)row["quantity"]!, (decimal)row["usd"]!));
        Assert.Equal(from.UtcDateTime, (DateTime)report["data"]!["from"]!);
    }
}
