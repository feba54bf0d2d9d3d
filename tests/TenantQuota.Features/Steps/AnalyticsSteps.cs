using Microsoft.Extensions.DependencyInjection;
using Reqnroll;
using TenantQuota.Testing;
using TenantQuota.Worker.Analytics;

namespace TenantQuota.Features.Steps;

/// <summary>Usage analytics on the @worker stack: the worker's rollup runs when a step says so, and the tenant admin reads GET /v1/tenant/usage.</summary>
[Binding]
public sealed class AnalyticsSteps(ScenarioApi api)
{
    [Given("the worker has rolled up the usage")]
    [When("the worker rolls up the usage")]
    public async Task TheWorkerRollsUp() =>
        await (await BillingStack.GetAsync()).Worker.Services.GetRequiredService<UsageRollup>().RollUpAsync(api.RequireTenant, CancellationToken.None);

    [Then("today's usage by class is {long} {string} and {long} {string}")]
    public async Task TodayByClass(long first, string firstClass, long second, string secondClass) =>
        Assert.Equal(new Dictionary<string, long> { [firstClass] = first, [secondClass] = second }, await TodayAsync("class"));

    [Then("today's usage by department is {long} {string} and {long} without a department")]
    public async Task TodayByDepartment(long inDepartment, string department, long without) =>
        Assert.Equal(new Dictionary<string, long> { [department] = inDepartment, ["(none)"] = without }, await TodayAsync("department"));

    [Then("today's usage by person is {long} {string} and {long} {string}")]
    public async Task TodayByPerson(long first, string firstSubject, long second, string secondSubject) =>
        Assert.Equal(new Dictionary<string, long> { [firstSubject] = first, [secondSubject] = second }, await TodayAsync("subject"));

    /// <summary>Each series' total for today (UTC, by the API's clock, on which the usage was recorded), keyed by its key; "(none)" for the null key.</summary>
    private async Task<Dictionary<string, long>> TodayAsync(string groupBy)
    {
        var today = api.Host.Clock.GetUtcNow().UtcDateTime.Date.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);
        var answer = await api.Host.Client(TestTokens.For(api.RequireTenant, "tenant.admin"))
            .SendAsync(HttpMethod.Get, $"/v1/tenant/usage?groupBy={groupBy}&interval=day&from={today}");
        Assert.True(answer.Status == 200, $"GET /v1/tenant/usage answered {answer.Status} {answer.Body}");
        return answer.Json["series"]!.AsArray().ToDictionary(s => (string?)s!["key"] ?? "(none)", s => (long)s!["total"]!["quantity"]!);
    }
}
