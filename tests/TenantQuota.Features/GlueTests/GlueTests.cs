using Xunit.Abstractions;

namespace TenantQuota.Features.GlueTests;

/// <summary>
/// Tests of ReqnrollGlue.cs (not of Reqnroll): listing, what it hands to Reqnroll, and that nothing
/// passes that should not. They run TestData/glue.feature in the same Reqnroll test run as the product's
/// scenarios, hence the shared collection.
/// </summary>
[Collection(ReqnrollTestRun.Collection)]
public sealed class GlueTests(ITestOutputHelper output)
{
    private static readonly List<ScenarioCase> Cases = ScenarioCase.All("TestData").ToList();

    [Fact]
    public void Lists_one_case_per_pickle_named_by_file_scenario_and_example_values()
    {
        Assert.Equal(
        [
            "broken.feature (does not parse)",
            "glue.feature / Two steps after the background",
            "glue.feature / A table and a doc string",
            "glue.feature / Row a becomes a case of its own / name: a, size: 1",
            "glue.feature / Row b becomes a case of its own / name: b, size: 2",
            "glue.feature / Row b becomes a case of its own / name: b, size: 2 #2",
            "glue.feature / A step nobody defined",
            "glue.feature / A pending step",
            "glue.feature / An ambiguous step",
            "glue.feature / A failing step",
            "glue.feature / Inside a rule",
        ], Cases.Select(c => c.ToString()));
    }

    [Fact]
    public void Lists_every_feature_file_of_the_repository()
    {
        var repository = new DirectoryInfo(AppContext.BaseDirectory);
        while (!File.Exists(Path.Combine(repository.FullName, "TenantQuota.sln"))) repository = repository.Parent!;
        var features = Path.Combine(repository.FullName, "features");
        var expected = Directory.EnumerateFiles(features, "*.feature", SearchOption.AllDirectories)
            .Select(path => Path.GetRelativePath(features, path).Replace('\\', '/')).Order(StringComparer.Ordinal);

        var listed = ScenarioCase.All("features").Select(c => c.ToString().Split(" / ")[0]).Distinct();

        Assert.Equal(expected, listed);
    }

    [Fact]
    public async Task Background_runs_before_each_scenario()
    {
        Assert.Equal(["start 'Two steps after the background' [] tags: glue", "background", "one", "two", "end"], await Run("Two steps after the background"));
        Assert.Equal("background", (await Run("A table and a doc string"))[1]);
    }

    [Fact]
    public async Task An_outline_row_runs_with_its_own_values_and_tags()
    {
        Assert.Equal(
            ["start 'Row <name> becomes a case of its own' [name=b, size=2] tags: outline glue", "background", "b", "end"],
            await Run("Row b becomes a case of its own / name: b, size: 2"));
    }

    [Fact]
    public async Task A_scenario_in_a_rule_gets_the_rule_its_tags_and_its_background()
    {
        Assert.Equal(
            ["start 'Inside a rule' [] tags: glue ruled rule: Scenarios may sit in a rule", "background", "rule background", "in rule", "end"],
            await Run("Inside a rule"));
    }

    [Fact]
    public async Task Data_tables_and_doc_strings_reach_the_steps()
    {
        var log = await Run("A table and a doc string");

        Assert.Equal(["a=1; b=2", "hello"], log[2..4]);
    }

    [Fact]
    public async Task Scenarios_of_one_file_share_one_feature_context()
    {
        var log = new StepLog();
        await Case("Two steps after the background").RunAsync(output, c => c.RegisterInstanceAs(log));
        await Case("A table and a doc string").RunAsync(output, c => c.RegisterInstanceAs(log));

        Assert.Same(log.Features[0], log.Features[1]);
    }

    [Fact]
    public async Task An_undefined_step_fails_the_scenario_naming_the_step_and_its_line()
    {
        var (error, log) = await RunFailing("A step nobody defined");

        Assert.Contains("When a step nobody defined runs (glue.feature:34) failed", error.Message);
        Assert.DoesNotContain("after", log);
        Assert.Equal("end", log[^1]);
    }

    [Fact]
    public async Task A_pending_step_fails_the_scenario()
    {
        var (error, log) = await RunFailing("A pending step");

        Assert.Contains("When a pending step runs (glue.feature:38) failed", error.Message);
        Assert.DoesNotContain("after", log);
    }

    [Fact]
    public async Task An_ambiguous_step_fails_the_scenario()
    {
        var (error, log) = await RunFailing("An ambiguous step");

        Assert.Contains("When an ambiguous step runs (glue.feature:42) failed", error.Message);
        Assert.DoesNotContain("after", log);
    }

    [Fact]
    public async Task A_failing_step_fails_the_scenario_skips_the_rest_and_still_ends_it()
    {
        var (error, log) = await RunFailing("A failing step");

        Assert.Contains("And a step fails (glue.feature:47) failed: boom", error.Message);
        Assert.IsType<InvalidOperationException>(error.InnerException);
        Assert.Equal(["background", "one", "end"], log[1..]);
    }

    [Fact]
    public async Task A_feature_file_that_does_not_parse_is_one_failing_case()
    {
        var error = await Assert.ThrowsAsync<ScenarioFailedException>(() => Case("broken.feature (does not parse)").RunAsync(output));

        Assert.Contains("broken.feature does not parse", error.Message);
    }

    private static ScenarioCase Case(string name) => Cases.Single(c => c.ToString() == name || c.ToString() == $"glue.feature / {name}");

    private async Task<List<string>> Run(string name)
    {
        var log = new StepLog();
        await Case(name).RunAsync(output, c => c.RegisterInstanceAs(log));
        return log.Entries;
    }

    private async Task<(ScenarioFailedException Error, List<string> Log)> RunFailing(string name)
    {
        var log = new StepLog();
        var error = await Assert.ThrowsAsync<ScenarioFailedException>(() => Case(name).RunAsync(output, c => c.RegisterInstanceAs(log)));
        output.WriteLine(error.ToString());
        return (error, log.Entries);
    }
}
