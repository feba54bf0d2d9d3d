using System.Collections;
using Reqnroll;

namespace TenantQuota.Features.GlueTests;

/// <summary>What a test-data scenario did; each test puts its own into the scenario's container.</summary>
public sealed class StepLog
{
    public List<string> Entries { get; } = [];

    public List<FeatureContext> Features { get; } = [];
}

/// <summary>Steps of TestData/glue.feature only: the scope keeps them out of the product's scenarios.</summary>
[Binding]
[Scope(Tag = "glue")]
public sealed class GlueSteps(StepLog log, ScenarioContext scenario, FeatureContext feature)
{
    [BeforeScenario]
    public void Start()
    {
        var info = scenario.ScenarioInfo;
        var arguments = string.Join(", ", info.Arguments.Cast<DictionaryEntry>().Select(a => $"{a.Key}={a.Value}"));
        var rule = scenario.RuleInfo is { } r ? $" rule: {r.Title}" : "";
        log.Entries.Add($"start '{info.Title}' [{arguments}] tags: {string.Join(" ", info.CombinedTags)}{rule}");
        log.Features.Add(feature);
    }

    [AfterScenario]
    public void End() => log.Entries.Add("end");

    [Given("the background has run")]
    public void Background() => log.Entries.Add("background");

    [Given("step {string} runs")]
    [When("step {string} runs")]
    [Then("step {string} runs")]
    public void Step(string name) => log.Entries.Add(name);

    [Given("these rows:")]
    public void Rows(DataTable table) => log.Entries.Add(string.Join("; ", table.Rows.Select(row => $"{row["name"]}={row["size"]}")));

    [Given("this text:")]
    public void Text(string text) => log.Entries.Add(text);

    [When("a pending step runs")]
    public void Pending() => throw new PendingStepException();

    [When("an ambiguous step runs")]
    public void Ambiguous() { }

    [When("an ambiguous {word} runs")]
    public void AlsoAmbiguous(string what) { }

    [When("a step fails")]
    public void Fails() => throw new InvalidOperationException("boom");
}
