using Microsoft.Extensions.DependencyInjection;
using Reqnroll;
using TenantQuota.Testing;
using TenantQuota.Worker.Alerts;

namespace TenantQuota.Features.Steps;

/// <summary>
/// Anomalies that act (@worker): usage is written as the worker's rollup writes it, around one fixed hour that the
/// rollups report complete; "the worker looks for spikes" runs one detection of the scenario's tenant.
/// </summary>
[Binding]
public sealed class AnomalySteps(ScenarioApi api)
{
    private static readonly DateTimeOffset LastCompleteHour = new(2026, 11, 20, 3, 0, 0, TimeSpan.Zero);

    private HttpClient Admin() => api.Host.Client(TestTokens.For(api.RequireTenant, "tenant.admin"));

    private static async Task ExecuteAsync(string sql, params object[] values)
    {
        var stack = await BillingStack.GetAsync();
        await using var command = stack.Database.CreateCommand(sql);
        foreach (var value in values) command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = value });
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>One person's summaries in one hour, in their department if they have one (both rollups, as UsageRollup writes them).</summary>
    private async Task UsedAsync(string subject, DateTimeOffset hour, long summaries)
    {
        var department = (string?)(await Admin().SendAsync(HttpMethod.Get, $"/v1/tenant/subjects/{subject}")).Json["departmentId"] ?? "";
        await ExecuteAsync("INSERT INTO usage_hourly VALUES ($1, $2, 'summaries', $3, $4, '', $5, 0, 0, 0, 1)", api.RequireTenant, hour, department, subject, summaries);
        await ExecuteAsync("""
            INSERT INTO usage_hourly_groups VALUES ($1, $2, 'summaries', $3, '', $4, 0, 0, 0, 1)
            ON CONFLICT (tenant_id, hour, operation_class, department_id, model) DO UPDATE SET quantity = usage_hourly_groups.quantity + EXCLUDED.quantity
            """, api.RequireTenant, hour, department, summaries);
        await ExecuteAsync("""
            INSERT INTO usage_rollup_marks VALUES ($1, $2, now()) ON CONFLICT (tenant_id) DO UPDATE SET rolled_to = EXCLUDED.rolled_to
            """, api.RequireTenant, LastCompleteHour.AddHours(1));
    }

    private readonly List<(string Subject, long[] PerDay)> _history = [];

    [Given("{string} used about 5 summaries in this hour of each of the last 14 days")]
    public void UsedAboutFive(string subject) => _history.Add((subject, [4, 5, 6, 5, 5, 4, 6, 5, 5, 5, 4, 6, 5, 5]));

    /// <summary>The history is written with the spike, once the person's department (if any) is known.</summary>
    private async Task HistoryAsync(string subject, DateTimeOffset hour)
    {
        foreach (var (_, perDay) in _history.Where(h => h.Subject == subject))
            for (var day = 1; day <= perDay.Length; day++) await UsedAsync(subject, hour.AddDays(-day), perDay[day - 1]);
    }

    [Given("{string} used {long} summaries in the last complete hour")]
    public async Task UsedInTheLastHour(string subject, long summaries)
    {
        await HistoryAsync(subject, LastCompleteHour);
        await UsedAsync(subject, LastCompleteHour, summaries);
    }

    /// <summary>The detector had looked up to the first of these hours.</summary>
    [Given("{string} used {long} summaries in each of the last {int} complete hours")]
    public async Task UsedInEachHour(string subject, long summaries, int hours)
    {
        for (var back = hours - 1; back >= 0; back--)
        {
            await HistoryAsync(subject, LastCompleteHour.AddHours(-back));
            await UsedAsync(subject, LastCompleteHour.AddHours(-back), summaries);
        }
        await ExecuteAsync("INSERT INTO anomaly_marks VALUES ($1, $2)", api.RequireTenant, LastCompleteHour.AddHours(1 - hours));
    }

    [Given("the tenant blocks anyone whose summaries spike past {long} in an hour")]
    public Task Blocks(long minimum) => PolicyAsync(new { metric = "summaries", minimumVolume = minimum, action = "block", levels = new[] { "subject" } });

    [Given("the tenant degrades any department whose summaries spike past {long} in an hour to {string}")]
    public Task Degrades(long minimum, string fallback) =>
        PolicyAsync(new { metric = "summaries", minimumVolume = minimum, action = "degrade", fallbackClass = fallback, levels = new[] { "department" } });

    [Given("the tenant is notified when anyone's summaries spike past {long} in an hour")]
    public Task Notifies(long minimum) => PolicyAsync(new { metric = "summaries", minimumVolume = minimum });

    private async Task PolicyAsync(object policy)
    {
        var answer = await Admin().SendAsync(HttpMethod.Put, "/v1/tenant/anomaly-policy", policy);
        Assert.True(answer.Status == 200, $"PUT /v1/tenant/anomaly-policy answered {answer.Status} {answer.Body}");
    }

    [When("the worker looks for spikes")]
    public async Task TheWorkerLooks() =>
        await (await BillingStack.GetAsync()).Worker.Services.GetRequiredService<SpikeDetector>().EvaluateAsync(api.RequireTenant, CancellationToken.None);

    [When("the tenant admin clears the hold on the person {string}")]
    public async Task Clears(string subject) =>
        Assert.Equal(204, (await Admin().SendAsync(HttpMethod.Delete, $"/v1/tenant/anomaly-holds/subject/{subject}")).Status);

    [Then("the tenant's audit log shows the hold on {string} placed by {string}")]
    public async Task HoldPlaced(string target, string actor) => Assert.Contains(await HoldAuditAsync(), e => e is ("held", var t, var a) && t == target && a == actor);

    [Then("the tenant's audit log shows the hold on {string} cleared by the tenant admin")]
    public async Task HoldCleared(string target)
    {
        var entries = await HoldAuditAsync();
        Assert.Contains(entries, e => e.Action == "cleared" && e.Target == target && e.Actor == new TestTokens.TokenSpec(api.RequireTenant, []).Subject);
    }

    private async Task<List<(string Action, string Target, string Actor)>> HoldAuditAsync() =>
        (await Admin().SendAsync(HttpMethod.Get, "/v1/tenant/audit?kind=anomaly_hold")).Json["items"]!.AsArray()
        .Select(e => ((string)e!["action"]!, (string)e["target"]!, (string)e["actor"]!)).ToList();
}
