using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Reqnroll;
using Reqnroll.BoDi;
using TenantQuota.Domain.Governance;
using TenantQuota.Testing;
using TenantQuota.Worker.Alerts;

namespace TenantQuota.Features.Steps;

/// <summary>
/// Threshold alerts: the @worker scenarios run on the billing stack (an API and a worker over one database and
/// RabbitMQ), each with a webhook receiver of its own. The worker's periodic evaluation is off in tests; "the
/// worker looks at the budgets" runs one evaluation of the scenario's tenant.
/// </summary>
[Binding]
public sealed class AlertSteps(ScenarioApi api)
{
    private WebhookReceiver? _receiver;
    private string? _secret;

    [BeforeScenario("worker", Order = 0)]
    public static async Task UseTheWorkerStack(IObjectContainer scenarioContainer) =>
        scenarioContainer.RegisterInstanceAs((await BillingStack.GetAsync()).Api);

    private HttpClient Admin() => api.Host.Client(TestTokens.For(api.RequireTenant, "tenant.admin"));

    private static object Budget(long limit, decimal[] thresholds) =>
        new { name = "Marketing", budget = new { limit, unit = "request", period = "monthly", overQuota = "block", alertThresholds = thresholds } };

    [Given("the department {string} has a budget of {long} requests a month with alerts at {decimal} and {decimal}")]
    public async Task DepartmentWithAlerts(string department, long limit, decimal first, decimal second) =>
        await PutDepartmentAsync(department, Budget(limit, [first, second]));

    [When("the tenant admin raises the budget of {string} to {long} requests a month")]
    public async Task RaiseTheBudget(string department, long limit)
    {
        var current = (await Admin().SendAsync(HttpMethod.Get, "/v1/tenant/departments")).Json["departments"]!.AsArray()
            .Single(d => (string)d!["id"]! == department)!["budget"]!["alertThresholds"]!.AsArray().Select(t => (decimal)t!).ToArray();
        await PutDepartmentAsync(department, Budget(limit, current));
    }

    private async Task PutDepartmentAsync(string department, object body)
    {
        var answer = await Admin().SendAsync(HttpMethod.Put, $"/v1/tenant/departments/{department}", body);
        Assert.True(answer.Status is 200 or 201, $"PUT department answered {answer.Status} {answer.Body}");
    }

    private const long Pace = 100;

    /// <summary>Days from today (UTC) to the month's end, today included: what a monthly budget has left to run.</summary>
    private static int DaysLeftInMonth()
    {
        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        return new DateOnly(today.Year, today.Month, 1).AddMonths(1).DayNumber - today.DayNumber;
    }

    [Given("the department {string} used {long} requests a day for the last 14 days")]
    public async Task UsedADay(string department, long perDay)
    {
        Assert.Equal(Pace, perDay);
        await PutDepartmentAsync(department, new { name = department });
        var stack = await BillingStack.GetAsync();
        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        for (var day = 1; day <= 14; day++)
        {
            // As the worker's rollup would have it.
            await using var command = stack.Database.CreateCommand("INSERT INTO usage_hourly_groups VALUES ($1, $2, 'summaries', $3, '', $4, 0, 0, 0, $4)");
            foreach (var value in new object[] { api.RequireTenant, new DateTimeOffset(today.AddDays(-day).ToDateTime(new TimeOnly(10, 0)), TimeSpan.Zero), department, perDay })
                command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = value });
            await command.ExecuteNonQueryAsync();
        }
    }

    [Given("the department {string} has a monthly budget of {long} requests less than its pace would use this month")]
    public Task BudgetUnderThePace(string department, long less) => PutDepartmentAsync(department, Budget(Pace * DaysLeftInMonth() - less, [1.0m]));

    [When("the department {string} gets a monthly budget of {long} requests more than its pace would use this month")]
    public Task BudgetOverThePace(string department, long more) => PutDepartmentAsync(department, Budget(Pace * DaysLeftInMonth() + more, [1.0m]));

    [Then("the webhook received {string} for the department {string} on the last day of the month")]
    public void ReceivedForTheLastDay(string type, string department)
    {
        var lastDay = DateOnly.FromDateTime(DateTime.UtcNow).AddDays(DaysLeftInMonth() - 1).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        Assert.Contains(Delivered(), e => (string)e["type"]! == type && (string)e["data"]!["ownerId"]! == department && (string?)e["data"]!["overrunOn"] == lastDay);
    }

    [Then("the department {string} shows a forecast of its pace for the month, under its limit")]
    public async Task ShowsItsForecast(string department)
    {
        var forecast = (await Admin().SendAsync(HttpMethod.Get, $"/v1/tenant/departments/{department}")).Json["forecast"]!;
        Assert.Equal(Pace * DaysLeftInMonth(), (decimal)forecast["projected"]!);
        Assert.True((decimal)forecast["limit"]! > (decimal)forecast["projected"]!);
        Assert.Null((string?)forecast["overrunOn"]);
    }

    [Given("the tenant admin alerts at {decimal} of each person's {string} limit")]
    public async Task CellAlerts(decimal threshold, string operationClass)
    {
        var answer = await Admin().SendAsync(HttpMethod.Put, "/v1/tenant/cell-alerts", new Dictionary<string, decimal[]> { [operationClass] = [threshold] });
        Assert.True(answer.Status == 200, $"PUT /v1/tenant/cell-alerts answered {answer.Status} {answer.Body}");
    }

    [Then("the webhook received {string} for the person {string} at {decimal}")]
    public void ReceivedForThePerson(string type, string subject, decimal threshold) =>
        Assert.Contains(Delivered(), e => (string)e["type"]! == type && (string)e["data"]!["level"]! == "subject"
            && (string)e["data"]!["ownerId"]! == subject && (decimal)e["data"]!["threshold"]! == threshold);

    [Given("the tenant admin has a webhook endpoint for {string}")]
    public async Task AWebhookEndpoint(string pattern)
    {
        _receiver = await WebhookReceiver.StartAsync();
        var answer = await Admin().SendAsync(HttpMethod.Post, "/v1/tenant/webhooks", new { url = _receiver.Url.ToString(), events = new[] { pattern } });
        Assert.True(answer.Status == 201, $"POST /v1/tenant/webhooks answered {answer.Status} {answer.Body}");
        _secret = (string)answer.Json["secret"]!;
    }

    [Given("the worker has looked at the budgets")]
    [When("the worker looks at the budgets")]
    public async Task TheWorkerLooks()
    {
        var worker = (await BillingStack.GetAsync()).Worker;
        await worker.Services.GetRequiredService<AlertEvaluator>().EvaluateAsync(api.RequireTenant, CancellationToken.None);
    }

    /// <summary>Waits for the events the tenant's alert list holds to be delivered, then counts what the receiver got, checking every signature.</summary>
    [Then("the webhook has received {int} alert(s)")]
    public async Task TheWebhookHasReceived(int count)
    {
        var listed = (await AlertListAsync()).Count;
        await Eventually.Until(() => Task.FromResult(Delivered().Count), n => n >= listed, $"the {listed} listed events to reach the webhook");
        Assert.Equal(count, Delivered().Count);
    }

    [Then("the webhook received {string} for the department {string} at {decimal} with {decimal} used of {decimal}")]
    public void TheWebhookReceived(string type, string department, decimal threshold, decimal used, decimal limit) =>
        Assert.Contains(Delivered(), e => (string)e["type"]! == type && (string)e["data"]!["level"]! == "department"
            && (string)e["data"]!["ownerId"]! == department && (decimal)e["data"]!["threshold"]! == threshold
            && (decimal)e["data"]!["used"]! == used && (decimal)e["data"]!["limit"]! == limit);

    [Then("the webhook received an anomaly for the {word} {string} with {decimal} observed, {decimal} expected and action {string}")]
    public async Task ReceivedAnAnomaly(string level, string owner, decimal observed, decimal expected, string action)
    {
        var wireLevel = level == "person" ? "subject" : level;
        bool Matches(JsonObject e) => (string)e["type"]! == WebhookEvents.Anomaly && (string)e["data"]!["level"]! == wireLevel
            && (string)e["data"]!["ownerId"]! == owner && (decimal)e["data"]!["observed"]! == observed
            && (decimal)e["data"]!["expected"]! == expected && (string)e["data"]!["action"]! == action;
        await Eventually.Until(() => Task.FromResult(Delivered().Any(Matches)), found => found, $"an anomaly of {level} {owner} to reach the webhook");
    }

    [Then("the alert list shows the same {int} events, newest first")]
    public async Task TheAlertListShowsThem(int count)
    {
        var listed = await AlertListAsync();
        Assert.Equal(count, listed.Count);
        Assert.Equal(Delivered().Select(e => (string)e["id"]!).Order(), listed.Select(e => (string)e["id"]!).Order());
        Assert.Equal(listed.OrderByDescending(e => (DateTime)e["createdAt"]!).Select(e => (string)e["id"]!), listed.Select(e => (string)e["id"]!));
    }

    private async Task<List<JsonObject>> AlertListAsync() =>
        (await Admin().SendAsync(HttpMethod.Get, "/v1/tenant/alerts")).Json["items"]!.AsArray().Select(e => e!.AsObject()).ToList();

    private List<JsonObject> Delivered() => (_receiver ?? throw new InvalidOperationException("No webhook endpoint yet.")).Requests
        .Where(r => r.AnsweredStatus == 200)
        .Select(r =>
        {
            Assert.True(WebhookSignature.Verify(r.Signature, _secret!, r.Body, DateTimeOffset.UtcNow), $"a delivery's signature does not verify: {r.Signature}");
            return JsonNode.Parse(r.Body)!.AsObject();
        })
        .ToList();

    [AfterScenario("worker")]
    public async Task StopTheReceiver()
    {
        if (_receiver is not null) await _receiver.DisposeAsync();
    }
}
