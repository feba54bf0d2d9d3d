using TenantQuota.Features.Runner;

namespace TenantQuota.Features.RunnerTests;

public class FeatureModelTests
{
    [Fact]
    public async Task Background_runs_before_each_scenario()
    {
        const string feature = """
            Feature: background
              Background:
                Given given a background
              Scenario: first
                When when first
              Scenario: second
                When when second
            """;

        Assert.Equal(["Given a background", "When first"], await FeatureFolder.RunAsync(feature, "first", typeof(RecordingSteps)));
        Assert.Equal(["Given a background", "When second"], await FeatureFolder.RunAsync(feature, "second", typeof(RecordingSteps)));
    }

    [Fact]
    public async Task Outline_expands_one_case_per_example_row_with_values_substituted_everywhere()
    {
        using var folder = new FeatureFolder(("plans.feature", """"
            Feature: plans
              Scenario Outline: seats for <plan>
                Given given plan <plan>
                And a table
                  | plan   | seats   |
                  | <plan> | <seats> |
                And a doc string
                  """
                  <plan> has <seats> seats
                  """
              Examples:
                | plan | seats |
                | free | 1     |
                | pro  | 10    |
            """"));

        var cases = ScenarioRunner.AllScenarios(folder.Directory).ToList();
        Assert.Equal(
            [["plans.feature", "seats for free (plan: free, seats: 1)"], ["plans.feature", "seats for pro (plan: pro, seats: 10)"]],
            cases);

        var log = new Log();
        await folder.Runner(typeof(RecordingSteps)).RunAsync("plans.feature", "seats for pro (plan: pro, seats: 10)", c => c.Register(log));
        Assert.Equal(["Given plan pro", "plan=pro,seats=10", "pro has 10 seats"], log.Entries);
    }

    [Fact]
    public void Outline_rows_with_identical_values_still_get_distinct_names()
    {
        using var folder = new FeatureFolder(("same.feature", """
            Feature: same
              Scenario Outline: twice
                Given given <x>
              Examples:
                | x |
                | 1 |
                | 1 |
            """));

        Assert.Equal(["twice (x: 1)", "twice (x: 1) #2"], ScenarioRunner.AllScenarios(folder.Directory).Select(c => (string)c[1]));
    }

    [Fact]
    public async Task Data_table_arrives_as_the_last_parameter_with_rows_keyed_by_header()
    {
        var log = await FeatureFolder.RunAsync("""
            Feature: table
              Scenario: s
                Given a table
                  | name | seats |
                  | acme | 5     |
                  | beta | 7     |
            """, "s", typeof(RecordingSteps));

        Assert.Equal(["name=acme,seats=5; name=beta,seats=7"], log);
    }

    [Fact]
    public async Task Doc_string_arrives_as_the_last_string_parameter()
    {
        var log = await FeatureFolder.RunAsync(""""
            Feature: doc
              Scenario: s
                Given a doc string
                  """
                  { "seats": 5 }
                  second line
                  """
            """", "s", typeof(RecordingSteps));

        Assert.Equal(["{ \"seats\": 5 }\nsecond line"], log);
    }

    [Fact]
    public void Data_table_reads_a_two_column_table_as_key_value_pairs()
    {
        var table = new DataTable([["field", "value"], ["name", "acme"], ["seats", "5"]]);

        Assert.Equal(new Dictionary<string, string> { ["name"] = "acme", ["seats"] = "5" }, table.ToKeyValue());
        Assert.Equal("acme", table.ToDictionaries()[0]["value"]);
    }

    [Fact]
    public async Task And_but_and_star_steps_take_the_keyword_of_the_previous_step()
    {
        var log = await FeatureFolder.RunAsync("""
            Feature: keywords
              Scenario: s
                Given given a
                And given b
                When when c
                But when d
                Then then e
                * then f
            """, "s", typeof(RecordingSteps));

        Assert.Equal(["Given a", "Given b", "When c", "When d", "Then e", "Then f"], log);
    }

    [Fact]
    public async Task And_after_given_does_not_match_a_when_binding()
    {
        var error = await Assert.ThrowsAsync<ScenarioFailedException>(() => FeatureFolder.RunAsync("""
            Feature: keywords
              Scenario: s
                Given given a
                And when b
            """, "s", typeof(RecordingSteps)));

        Assert.Contains("No binding for step: And when b (test.feature:4)", error.Message);
        Assert.Contains("[Given(@\"^when b$\")]", error.Message);
    }
}
