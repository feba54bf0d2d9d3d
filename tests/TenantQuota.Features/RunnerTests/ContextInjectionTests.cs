using TenantQuota.Features.Runner;

namespace TenantQuota.Features.RunnerTests;

public sealed class SharedState(Log log) : IDisposable
{
    public List<string> Values { get; } = [];
    public void Dispose() => log.Add("disposed SharedState");
}

public sealed class Driver(SharedState state, Log log) : IAsyncDisposable
{
    public SharedState State { get; } = state;

    public ValueTask DisposeAsync()
    {
        log.Add("disposed Driver");
        return ValueTask.CompletedTask;
    }
}

public sealed class WritingSteps(Driver driver)
{
    private int calls;

    [Given(@"^first writes (.*)$")]
    public void Write(string value) => driver.State.Values.Add($"{value}#{++calls}");
}

public sealed class ReadingSteps(SharedState state, Log log)
{
    [Then(@"^second sees the values$")]
    public void Read() => log.Add($"sees {string.Join(",", state.Values)}");
}

public sealed class HookSteps(Log log)
{
    [BeforeScenario(Order = 2)]
    public void BeforeSecond() => log.Add("before 2");

    [BeforeScenario(Order = 1)]
    public async Task BeforeFirst()
    {
        await Task.Yield();
        log.Add("before 1");
    }

    [AfterScenario]
    public void After(ScenarioInfo scenario) => log.Add($"after {scenario.ScenarioName}");

    [When(@"^a step runs$")]
    public void Step() => log.Add("step");

    [When(@"^a step fails$")]
    public void Fails() => throw new InvalidOperationException("boom");
}

public sealed class Fixture : IDisposable
{
    public bool Disposed { get; private set; }
    public void Dispose() => Disposed = true;
}

public sealed class FixtureSteps(Fixture fixture, Log log)
{
    [Given(@"^the fixture is used$")]
    public void Use() => log.Add($"fixture disposed: {fixture.Disposed}");
}

public interface IClock;

public sealed class ClockUser(SharedState state, IClock clock)
{
    public object[] Dependencies { get; } = [state, clock];
}

public sealed class Scheduler(ClockUser user)
{
    public ClockUser User { get; } = user;
}

public class ContextInjectionTests
{
    private const string SharingFeature = """
        Feature: sharing
          Scenario: one
            Given first writes a
            And first writes b
            Then second sees the values
          Scenario: two
            Then second sees the values
        """;

    [Fact]
    public async Task Bindings_share_one_instance_per_type_within_a_scenario_and_dispose_in_reverse_creation_order()
    {
        var log = await FeatureFolder.RunAsync(SharingFeature, "one", typeof(WritingSteps), typeof(ReadingSteps));

        // "b#2": the same WritingSteps instance served both steps; SharedState was built before Driver, so it goes last.
        Assert.Equal(["sees a#1,b#2", "disposed Driver", "disposed SharedState"], log);
    }

    [Fact]
    public async Task Each_scenario_gets_fresh_instances()
    {
        using var folder = new FeatureFolder(("test.feature", SharingFeature));
        var runner = folder.Runner(typeof(WritingSteps), typeof(ReadingSteps));
        var log = new Log();

        await runner.RunAsync("test.feature", "one", c => c.Register(log));
        await runner.RunAsync("test.feature", "two", c => c.Register(log));

        Assert.Equal("sees ", log.Entries[3]);
    }

    [Fact]
    public async Task Registered_instances_are_shared_but_not_disposed_while_factory_objects_are()
    {
        var fixture = new Fixture();
        var created = new Fixture();
        using var folder = new FeatureFolder(("test.feature", """
            Feature: fixture
              Scenario: s
                Given the fixture is used
            """));
        var log = new Log();

        await folder.Runner(typeof(FixtureSteps)).RunAsync("test.feature", "s", c => c.Register(log));
        await folder.Runner(typeof(FixtureSteps)).RunAsync("test.feature", "s", c => { c.Register(log); c.Register(fixture); });

        Assert.False(fixture.Disposed);
        Assert.Equal(["fixture disposed: False", "fixture disposed: False"], log.Entries);

        await folder.Runner(typeof(FixtureSteps)).RunAsync("test.feature", "s", c => { c.Register(log); c.Register(_ => created); });
        Assert.True(created.Disposed);
    }

    [Fact]
    public async Task Container_explains_what_it_cannot_create()
    {
        await using var container = new ScenarioContainer();

        var error = Assert.Throws<InvalidOperationException>(() => container.Resolve<Scheduler>());

        Assert.Contains("Scheduler -> ClockUser -> IClock", error.Message);
        Assert.Contains("register an instance or factory", error.Message);
    }

    [Fact]
    public async Task Hooks_run_in_order_around_the_steps()
    {
        var log = await FeatureFolder.RunAsync("""
            Feature: hooks
              Scenario: s
                When a step runs
            """, "s", typeof(HookSteps));

        Assert.Equal(["before 1", "before 2", "step", "after s"], log);
    }

    [Fact]
    public async Task After_scenario_hooks_run_even_when_a_step_fails()
    {
        var log = new Log();
        await Assert.ThrowsAsync<ScenarioFailedException>(() => FeatureFolder.RunAsync(log, """
            Feature: hooks
              Scenario: s
                When a step fails
                And a step runs
            """, "s", typeof(HookSteps)));

        Assert.Equal(["before 1", "before 2", "after s"], log.Entries);
    }
}
