using System.Text.Json.Nodes;
using Reqnroll;
using TenantQuota.Client;
using TenantQuota.Testing;

namespace TenantQuota.Features.Steps;

/// <summary>
/// The caller SDK (@sdk): a back end of the SDK's own (<see cref="SampleBackEnd"/>) against a real identity host and an
/// API whose database can be taken away (<see cref="OutageStack"/>, one for the test run).
/// </summary>
[Binding]
public sealed class SdkSteps
{
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static OutageStack? _stack;
    private SampleBackEnd? _backEnd;
    private HttpResponseMessage? _last;

    private static async Task<OutageStack> StackAsync()
    {
        await Gate.WaitAsync();
        try { return _stack ??= await OutageStack.StartAsync(); }
        finally { Gate.Release(); }
    }

    [AfterTestRun]
    public static async Task StopTheSdkStack()
    {
        if (_stack is not null) await _stack.DisposeAsync();
    }

    private SampleBackEnd BackEnd => _backEnd ?? throw new InvalidOperationException("No back end yet: start with 'Given a back end on the … tier'.");

    [Given("a back end on the {word} tier whose {string} fail open and {string} fail closed")]
    public async Task ABackEnd(string tier, string open, string closed)
    {
        var stack = await StackAsync();
        // The back end turns resetsAt into Retry-After by the real clock; the run's API clock stood still since it started.
        stack.Stack.Api.Clock.Set(DateTimeOffset.UtcNow);
        var tenant = await stack.Stack.NewTenantAsync(tier);
        _backEnd = await SampleBackEnd.StartAsync(stack.Stack, tenant, new Dictionary<string, string?>
        {
            [$"TenantQuota:FailureModes:{open}"] = "Open",
            [$"TenantQuota:FailureModes:{closed}"] = "Closed",
            ["TenantQuota:BreakDuration"] = "00:00:00.200",
        });
    }

    [Given("TenantQuota's database is away")]
    public async Task TheDatabaseIsAway() => (await StackAsync()).Database.Cut();

    [When("TenantQuota's database is back")]
    public async Task TheDatabaseIsBack() => (await StackAsync()).Database.Restore();

    private static string PathOf(string operationClass) => operationClass switch
    {
        "summaries" => "/summaries",
        "deep_research" => "/research",
        _ => throw new ArgumentException($"The sample back end has no endpoint for '{operationClass}'."),
    };

    [When("{string} calls the {string} endpoint {int} times")]
    public async Task Calls(string user, string operationClass, int times)
    {
        for (var i = 0; i < times; i++)
        {
            _last = await BackEnd.PostAsync(PathOf(operationClass), user);
            Assert.True(_last.IsSuccessStatusCode, $"call {i + 1} answered {(int)_last.StatusCode}: {await _last.Content.ReadAsStringAsync()}");
        }
    }

    [When("{string} calls the {string} endpoint")]
    public async Task CallsOnce(string user, string operationClass) => _last = await BackEnd.PostAsync(PathOf(operationClass), user);

    [Then("the {string} handler ran {int} times")]
    public void HandlerRan(string operationClass, int times) =>
        Assert.Equal(times, operationClass == "summaries" ? BackEnd.HandlerRuns.Summaries : BackEnd.HandlerRuns.Research);

    private async Task<JsonNode> ProblemAsync(int status)
    {
        var body = await _last!.Content.ReadAsStringAsync();
        Assert.True((int)_last.StatusCode == status, $"expected {status}, the back end answered {(int)_last.StatusCode}: {body}");
        Assert.Equal("application/problem+json", _last.Content.Headers.ContentType?.MediaType);
        return JsonNode.Parse(body)!;
    }

    [Then("the back end answers 429 with TenantQuota's copy for {string} and {string}")]
    public async Task Answers429(string user, string operationClass)
    {
        var problem = await ProblemAsync(429);
        var copy = (await BackEnd.Quota.CheckAsync(new QuotaRequest(user, operationClass))).Message!;
        Assert.Equal((copy.Title, copy.Body), ((string)problem["title"]!, (string)problem["detail"]!));
    }

    [Then("the answer says when {string} resets and what an upgrade unlocks")]
    public async Task SaysWhenItResets(string operationClass)
    {
        var problem = JsonNode.Parse(await _last!.Content.ReadAsStringAsync())!;
        var usage = (await BackEnd.Quota.UsageAsync("ana")).Classes.Single(c => c.OperationClass == operationClass);
        Assert.Equal(usage.ResetsAt, problem["resetsAt"]!.GetValue<DateTime>().ToUniversalTime());
        Assert.NotNull(_last.Headers.RetryAfter?.Delta);
        Assert.False(string.IsNullOrEmpty((string?)problem["upgrade"]?["url"]), $"no upgrade link in {problem}");
    }

    [Then("the back end answers 503 because TenantQuota is unavailable")]
    public async Task Answers503()
    {
        var problem = await ProblemAsync(503);
        Assert.Equal("unavailable", (string)problem["reason"]!);
        Assert.NotNull(_last!.Headers.RetryAfter);
    }

    [Then("the back end's journal empties")]
    public Task JournalEmpties() => Eventually.Until(() => Task.FromResult(BackEnd.Quota.Journal.Count), left => left == 0, "the journal to be replayed");

    [Then("TenantQuota counts {long} {string} for {string}")]
    public async Task Counts(long used, string operationClass, string user) =>
        Assert.Equal(used, (await BackEnd.Quota.UsageAsync(user)).Classes.Single(c => c.OperationClass == operationClass).Used);

    [AfterScenario("sdk")]
    public async Task StopTheBackEnd()
    {
        // A scenario that failed mid-outage must not leave the database away for the next one.
        _stack?.Database.Restore();
        if (_backEnd is not null) await _backEnd.DisposeAsync();
    }
}
