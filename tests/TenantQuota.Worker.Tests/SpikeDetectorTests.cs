using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using TenantQuota.Domain.Governance;
using TenantQuota.Testing;
using TenantQuota.Worker.Alerts;

namespace TenantQuota.Worker.Tests;

/// <summary>
/// The spike detector over real rollup rows: which hours it looks at, that each spike is acted on once whoever looks,
/// that a spike going on raises one alert, and that a cleared owner is only notified for a day.
/// </summary>
[Collection(BillingPipelineCollection.Name)]
public sealed class SpikeDetectorTests(BillingPipeline pipeline)
{
    // The rollups are complete up to Hour + 1 h; a fixed hour keeps the 14-day history clear of the wall clock.
    private static readonly DateTimeOffset Hour = new(2026, 11, 20, 3, 0, 0, TimeSpan.Zero);

    private SpikeDetector Detector => pipeline.Worker.Services.GetRequiredService<SpikeDetector>();

    private async Task<(string Tenant, HttpClient Admin)> TenantWithPolicyAsync(object policy)
    {
        var tenant = await pipeline.Api.CreateTenantAsync("enterprise");
        var admin = pipeline.Api.Client(TestTokens.For(tenant, "tenant.admin"));
        var answer = await admin.SendAsync(HttpMethod.Put, "/v1/tenant/anomaly-policy", policy);
        Assert.True(answer.Status == 200, answer.Body?.ToJsonString());
        return (tenant, admin);
    }

    /// <summary>Hourly rollup rows of one person (in no department), as the worker's rollup writes them: a summary of 100 input tokens each.</summary>
    private async Task UsedAsync(string tenant, string subject, DateTimeOffset hour, long summaries) =>
        await pipeline.Database.ExecuteAsync("INSERT INTO usage_hourly VALUES ($1, $2, 'summaries', '', $3, '', $4, $4 * 100, 0, 0, 1)", tenant, hour, subject, summaries);

    private async Task HistoryAsync(string tenant, string subject, params long[] perDay)
    {
        for (var day = 1; day <= perDay.Length; day++) await UsedAsync(tenant, subject, Hour.AddDays(-day), perDay[day - 1]);
    }

    private Task RolledToAsync(string tenant, DateTimeOffset to) =>
        pipeline.Database.ExecuteAsync("""
            INSERT INTO usage_rollup_marks VALUES ($1, $2, now()) ON CONFLICT (tenant_id) DO UPDATE SET rolled_to = EXCLUDED.rolled_to
            """, tenant, to);

    private async Task<List<JsonObject>> AnomalyEventsAsync(HttpClient admin) =>
        (await admin.SendAsync(HttpMethod.Get, "/v1/tenant/alerts?type=alert.anomaly")).Json["items"]!.AsArray().Select(e => e!.AsObject()).ToList();

    private static readonly long[] AboutFive = [4, 5, 6, 5, 5, 4, 6, 5, 5, 5, 4, 6, 5, 5];

    [Fact]
    public async Task A_spike_is_found_once_however_many_workers_look_and_holds_only_whoever_spiked()
    {
        var (tenant, admin) = await TenantWithPolicyAsync(new { metric = "summaries", minimumVolume = 20, action = "block", levels = new[] { "subject" } });
        await HistoryAsync(tenant, "ana", AboutFive);
        await HistoryAsync(tenant, "ben", [.. Enumerable.Repeat(25L, 14)]);
        await UsedAsync(tenant, "ana", Hour, 60);
        await UsedAsync(tenant, "ben", Hour, 28); // above the minimum, within ben's usual (25 + 4 × 2.5)
        await UsedAsync(tenant, "cy", Hour, 19); // new, but under the minimum
        await UsedAsync(tenant, "ana", Hour.AddHours(-2), 500); // before the first hour looked at: never looked at
        await RolledToAsync(tenant, Hour.AddHours(1));

        var written = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Detector.EvaluateAsync(tenant, CancellationToken.None)));
        await pipeline.Database.ExecuteAsync("DELETE FROM anomaly_marks WHERE tenant_id = $1", tenant); // as if the mark were lost
        var again = await Detector.EvaluateAsync(tenant, CancellationToken.None);

        Assert.Equal(1, written.Sum());
        Assert.Equal(0, again);
        var alert = Assert.Single(await AnomalyEventsAsync(admin))["data"]!;
        Assert.Equal(("subject", "ana", "summaries", "block"), ((string)alert["level"]!, (string)alert["ownerId"]!, (string)alert["operationClass"]!, (string)alert["action"]!));
        Assert.Equal((60m, 5m), ((decimal)alert["observed"]!, (decimal)alert["expected"]!));
        Assert.Equal(Hour.UtcDateTime, (DateTime)alert["windowStart"]!);
        var hold = Assert.Single((await admin.SendAsync(HttpMethod.Get, "/v1/tenant/anomaly-holds")).Json["items"]!.AsArray())!;
        Assert.Equal(("subject", "ana", "block"), ((string)hold["level"]!, (string)hold["ownerId"]!, (string)hold["action"]!));
        Assert.Equal(Hour.AddHours(1).UtcDateTime, await pipeline.Database.ScalarAsync<DateTime>("SELECT evaluated_to FROM anomaly_marks WHERE tenant_id = $1", tenant));
    }

    [Fact]
    public async Task A_backlog_is_caught_up_a_day_per_turn_and_a_new_policy_starts_from_the_last_complete_hour()
    {
        var (tenant, admin) = await TenantWithPolicyAsync(new { metric = "summaries", minimumVolume = 20 });
        await HistoryAsync(tenant, "ana", AboutFive);
        await UsedAsync(tenant, "ana", Hour, 60);
        await pipeline.Database.ExecuteAsync("INSERT INTO anomaly_marks VALUES ($1, $2)", tenant, Hour.AddHours(-30));
        await RolledToAsync(tenant, Hour.AddHours(1));

        var first = await Detector.EvaluateAsync(tenant, CancellationToken.None); // 30 h behind: the first 24 of them
        var markAfterFirst = await pipeline.Database.ScalarAsync<DateTime>("SELECT evaluated_to FROM anomaly_marks WHERE tenant_id = $1", tenant);
        var second = await Detector.EvaluateAsync(tenant, CancellationToken.None);
        Assert.Equal(204, (await admin.SendAsync(HttpMethod.Delete, "/v1/tenant/anomaly-policy")).Status);
        var marksLeft = await pipeline.Database.ScalarAsync<long>("SELECT count(*) FROM anomaly_marks WHERE tenant_id = $1", tenant);

        Assert.Equal((0, 1), (first, second));
        Assert.Equal(Hour.AddHours(-6).UtcDateTime, markAfterFirst);
        Assert.Equal(0L, marksLeft);
    }

    [Fact]
    public async Task A_spike_that_goes_on_notifies_once_and_a_new_one_after_a_quiet_hour_again()
    {
        var (tenant, admin) = await TenantWithPolicyAsync(new { metric = "tokens", minimumVolume = 2000 }); // tokens: the metric of no class
        foreach (var hour in new[] { Hour.AddHours(-3), Hour.AddHours(-2), Hour })
        {
            for (var day = 1; day <= 14; day++) await UsedAsync(tenant, "ana", hour.AddDays(-day), 5);
            await UsedAsync(tenant, "ana", hour, 300);
        }
        await pipeline.Database.ExecuteAsync("INSERT INTO anomaly_marks VALUES ($1, $2)", tenant, Hour.AddHours(-3));
        await RolledToAsync(tenant, Hour.AddHours(1));

        Assert.Equal(2, await Detector.EvaluateAsync(tenant, CancellationToken.None)); // 00:00 and 01:00 one episode, 02:00 quiet, 03:00 another

        var events = await AnomalyEventsAsync(admin);
        Assert.Equal([Hour.AddHours(-3).UtcDateTime, Hour.UtcDateTime], events.Select(e => (DateTime)e["data"]!["windowStart"]!).Order());
        Assert.All(events, e => Assert.Equal("notify", (string)e["data"]!["action"]!));
        Assert.Equal(3L, await pipeline.Database.ScalarAsync<long>("SELECT count(*) FROM anomalies WHERE tenant_id = $1", tenant));
        Assert.Empty((await admin.SendAsync(HttpMethod.Get, "/v1/tenant/anomaly-holds")).Json["items"]!.AsArray());
    }

    [Fact]
    public async Task A_department_that_spikes_is_held_and_after_an_admin_clears_it_only_notified_for_a_day()
    {
        var (tenant, admin) = await TenantWithPolicyAsync(new { metric = "summaries", minimumVolume = 50, action = "degrade", fallbackClass = "drafts", levels = new[] { "department" } });
        Assert.Equal(201, (await admin.SendAsync(HttpMethod.Put, "/v1/tenant/departments/research", new { name = "Research" })).Status);
        foreach (var hour in new[] { Hour, Hour.AddHours(2) })
        {
            for (var day = 1; day <= 14; day++)
                await pipeline.Database.ExecuteAsync("INSERT INTO usage_hourly_groups VALUES ($1, $2, 'summaries', 'research', '', 10, 0, 0, 0, 1)", tenant, hour.AddDays(-day));
            await pipeline.Database.ExecuteAsync("INSERT INTO usage_hourly_groups VALUES ($1, $2, 'summaries', 'research', '', 400, 0, 0, 0, 40)", tenant, hour);
        }
        await RolledToAsync(tenant, Hour.AddHours(1));
        Assert.Equal(1, await Detector.EvaluateAsync(tenant, CancellationToken.None));
        Assert.Equal(204, (await admin.SendAsync(HttpMethod.Delete, "/v1/tenant/anomaly-holds/department/research")).Status);

        await RolledToAsync(tenant, Hour.AddHours(3));
        Assert.Equal(1, await Detector.EvaluateAsync(tenant, CancellationToken.None));

        var actions = (await AnomalyEventsAsync(admin)).OrderBy(e => (DateTime)e["data"]!["windowStart"]!).Select(e => (string)e["data"]!["action"]!);
        Assert.Equal(["degrade", "notify"], actions);
        Assert.Empty((await admin.SendAsync(HttpMethod.Get, "/v1/tenant/anomaly-holds")).Json["items"]!.AsArray());
        var cleared = Assert.Single((await admin.SendAsync(HttpMethod.Get, "/v1/tenant/anomaly-holds?include=cleared")).Json["items"]!.AsArray())!;
        Assert.Equal(("department", "research", "drafts"), ((string)cleared["level"]!, (string)cleared["ownerId"]!, (string)cleared["fallbackClass"]!));
        Assert.NotNull((string?)cleared["clearedBy"]);
    }
}
