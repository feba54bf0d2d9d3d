using System.Text.RegularExpressions;
using TenantQuota.Features.Runner;

namespace TenantQuota.Features.RunnerTests;

public enum Plan { Free, Pro }

public sealed class TypedSteps(Log log)
{
    [Given(@"^values (\S+) (\S+) (\S+) (\S+) (\S+) (\S+)$")]
    public void Values(int i, long l, decimal m, double d, bool b, Plan plan) =>
        log.Add(FormattableString.Invariant($"{i}|{l}|{m}|{d}|{b}|{plan}"));

    [Given(@"^optional '(.*)' '(.*)'$")]
    public void Optional(int? count, Plan? plan) => log.Add($"{count?.ToString() ?? "null"}|{plan?.ToString() ?? "null"}");

    [Given(@"^a number (.*)$")]
    public void Number(int n) => log.Add($"{n}");

    [When(@"^an async step runs$")]
    public async Task Async()
    {
        await Task.Delay(1);
        log.Add("async done");
    }

    [When(@"^an async step fails$")]
    public async Task AsyncFails()
    {
        await Task.Yield();
        throw new TimeoutException("late boom");
    }
}

public sealed class AmbiguousStepsA
{
    [When(@"^something happens$")]
    public void SomethingHappens() { }
}

public sealed class AmbiguousStepsB
{
    [When(@"^something (.*)$")]
    public void Something(string what) { }
}

public class StepExecutionTests
{
    [Fact]
    public async Task Typed_parameters_convert_from_captured_strings()
    {
        var log = await FeatureFolder.RunAsync("""
            Feature: types
              Scenario: s
                Given values -5 9000000000 12.50 0.25 True pRo
                And optional '' ''
                And optional '3' 'free'
            """, "s", typeof(TypedSteps));

        Assert.Equal(["-5|9000000000|12.50|0.25|True|Pro", "null|null", "3|Free"], log);
    }

    [Fact]
    public async Task Unconvertible_value_fails_naming_the_value_and_type_before_any_step_runs()
    {
        var log = new Log();
        var error = await Assert.ThrowsAsync<ScenarioFailedException>(() => FeatureFolder.RunAsync(log, """
            Feature: types
              Scenario: s
                Given a number 1
                And a number many
            """, "s", typeof(TypedSteps)));

        Assert.Contains("'many' is not a valid Int32", error.Message);
        Assert.Contains("test.feature:4", error.Message);
        Assert.Empty(log.Entries);
    }

    [Fact]
    public async Task Task_returning_steps_are_awaited()
    {
        Assert.Equal(["async done"], await FeatureFolder.RunAsync("""
            Feature: async
              Scenario: s
                When an async step runs
            """, "s", typeof(TypedSteps)));
    }

    [Fact]
    public async Task Unbound_step_fails_naming_step_file_and_line_with_a_binding_snippet()
    {
        var error = await Assert.ThrowsAsync<ScenarioFailedException>(() => FeatureFolder.RunAsync("""
            Feature: unbound
              Scenario: s
                Given given a
                And a tenant "acme" with 5 seats
                  | name |
                  | x    |
            """, "s", typeof(RecordingSteps)));

        Assert.Contains("No binding for step: And a tenant \"acme\" with 5 seats (test.feature:4)", error.Message);
        Assert.Contains("[Given(@\"^a tenant \"\"(.*)\"\" with (-?\\d+) seats$\")]", error.Message);
        Assert.Contains("public void GivenATenantWithSeats(string p0, int p1, DataTable table)", error.Message);
        Assert.Matches(new Regex("^a tenant \"(.*)\" with (-?\\d+) seats$"), "a tenant \"acme\" with 5 seats");
    }

    [Fact]
    public async Task Ambiguous_step_fails_naming_both_methods()
    {
        var error = await Assert.ThrowsAsync<ScenarioFailedException>(() => FeatureFolder.RunAsync("""
            Feature: ambiguous
              Scenario: s
                When something happens
            """, "s", typeof(AmbiguousStepsA), typeof(AmbiguousStepsB)));

        Assert.Contains("Ambiguous step: When something happens (test.feature:3)", error.Message);
        Assert.Contains("AmbiguousStepsA.SomethingHappens", error.Message);
        Assert.Contains("AmbiguousStepsB.Something", error.Message);
    }

    [Fact]
    public async Task Failing_step_stops_later_steps_and_keeps_the_original_exception()
    {
        var log = new Log();
        var error = await Assert.ThrowsAsync<ScenarioFailedException>(() => FeatureFolder.RunAsync(log, """
            Feature: failing
              Scenario: s
                Given given a
                When it fails
                Then then never
            """, "s", typeof(RecordingSteps)));

        Assert.Equal(["Given a"], log.Entries);
        Assert.Contains("When it fails (test.feature:4)", error.Message);
        Assert.Equal("boom", Assert.IsType<InvalidOperationException>(error.InnerException).Message);
    }

    [Fact]
    public async Task Assertion_failure_in_a_step_surfaces_as_the_inner_exception()
    {
        var error = await Assert.ThrowsAsync<ScenarioFailedException>(() => FeatureFolder.RunAsync("""
            Feature: failing
              Scenario: s
                Then 1 equals 2
            """, "s", typeof(RecordingSteps)));

        Assert.IsType<Xunit.Sdk.EqualException>(error.InnerException);
        Assert.Contains("Assert.Equal() Failure", error.Message);
    }

    [Fact]
    public async Task Exception_from_an_awaited_step_fails_the_scenario()
    {
        var error = await Assert.ThrowsAsync<ScenarioFailedException>(() => FeatureFolder.RunAsync("""
            Feature: failing
              Scenario: s
                When an async step fails
            """, "s", typeof(TypedSteps)));

        Assert.IsType<TimeoutException>(error.InnerException);
    }
}
