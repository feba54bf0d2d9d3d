using TenantQuota.Features.Runner;

namespace TenantQuota.Features.RunnerTests;

public class DiscoveryTests
{
    [Fact]
    public void All_scenarios_yields_relative_path_and_name_strings_for_every_feature_file()
    {
        using var folder = new FeatureFolder(
            ("b.feature", "Feature: b\n  Scenario: only b\n    Given given x\n"),
            ("sub/a.feature", "Feature: a\n  Scenario: first a\n    Given given x\n  Scenario: second a\n    Given given y\n"));

        var cases = ScenarioRunner.AllScenarios(folder.Directory).ToList();

        Assert.Equal([["b.feature", "only b"], ["sub/a.feature", "first a"], ["sub/a.feature", "second a"]], cases);
        Assert.All(cases, c => Assert.All(c, value => Assert.IsType<string>(value)));
    }

    [Fact]
    public async Task Feature_file_that_does_not_parse_becomes_one_failing_case()
    {
        using var folder = new FeatureFolder(("broken.feature", "Feature: broken\n  Scenario: s\n    Given given x\n  | dangling |\n  Nonsense here\n"));

        var single = Assert.Single(ScenarioRunner.AllScenarios(folder.Directory));
        var error = await Assert.ThrowsAsync<ScenarioFailedException>(() => folder.Runner().RunAsync((string)single[0], (string)single[1]));

        Assert.Contains("broken.feature does not parse", error.Message);
    }

    [Fact]
    public async Task Unknown_scenario_name_fails_listing_the_available_ones()
    {
        using var folder = new FeatureFolder(("a.feature", "Feature: a\n  Scenario: real\n    Given given x\n"));

        var error = await Assert.ThrowsAsync<ScenarioFailedException>(() => folder.Runner().RunAsync("a.feature", "imagined"));

        Assert.Contains("'real'", error.Message);
    }

    [Fact]
    public void Assembly_discovery_never_picks_up_the_runner_tests_own_bindings()
    {
        var registry = BindingRegistry.FromAssembly(typeof(DiscoveryTests).Assembly);

        Assert.DoesNotContain(registry.BindingTypes, t => t.Namespace == typeof(DiscoveryTests).Namespace);
    }

    [Fact]
    public void Features_directory_is_found_next_to_the_solution_file()
    {
        var features = ScenarioRunner.FindFeaturesDirectory();

        Assert.Equal("features", Path.GetFileName(features));
        Assert.True(File.Exists(Path.Combine(Path.GetDirectoryName(features)!, "TenantQuota.sln")));
    }
}
