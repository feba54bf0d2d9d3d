using System.Collections.Concurrent;
using System.Collections.Specialized;
using System.Globalization;
using Gherkin.CucumberMessages;
using Gherkin.CucumberMessages.Pickles;
using Reqnroll;
using Reqnroll.BoDi;
using Reqnroll.Infrastructure;
using Reqnroll.Plugins;
using Reqnroll.Tracing;
using Reqnroll.UnitTestProvider;
using TenantQuota.Features;
using Xunit.Abstractions;
using Messages = Io.Cucumber.Messages.Types;

// Reqnroll's xunit adapter and its code generator are not served here (docs/decisions/0008). This file
// does their job: it lists every pickle of a feature file as an xunit test case and drives Reqnroll's
// test runner through the same calls as the generated code. Binding discovery, step matching, hooks,
// tables and context injection are all Reqnroll's.
[assembly: RuntimePlugin(typeof(ReqnrollGlue))]

namespace TenantQuota.Features;

/// <summary>Every scenario of the repository's features/ (each Scenario Outline row too) as its own xunit test.</summary>
[Collection(ReqnrollTestRun.Collection)]
public sealed class FeatureScenarios(ITestOutputHelper output)
{
    public static TheoryData<ScenarioCase> Scenarios => new(ScenarioCase.All("features"));

    [Theory]
    [MemberData(nameof(Scenarios))]
    public Task Scenario(ScenarioCase scenario) => scenario.RunAsync(output);
}

/// <summary>
/// One Reqnroll test run: [BeforeTestRun] hooks before the first scenario, [AfterTestRun] after the last.
/// xunit 2 has no assembly fixture, so every test that runs scenarios joins this collection. Its tests run
/// one at a time, which the features need anyway: they share one API host and its clock.
/// </summary>
[CollectionDefinition(Collection)]
public sealed class ReqnrollTestRun : ICollectionFixture<ReqnrollTestRun.Lifetime>
{
    public const string Collection = "Reqnroll test run";

    public sealed class Lifetime : IAsyncLifetime
    {
        public Task InitializeAsync() => TestRunnerManager.OnTestRunStartAsync(typeof(ReqnrollTestRun).Assembly);

        public Task DisposeAsync() => TestRunnerManager.OnTestRunEndAsync(typeof(ReqnrollTestRun).Assembly);
    }
}

/// <summary>A scenario that did not pass, named by its feature file and the line of the step that failed.</summary>
public sealed class ScenarioFailedException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// One pickle (a scenario, or one Examples row of an outline) of a .feature file copied beside the test
/// binaries. Serializable, so xunit lists each one as a test case of its own.
/// </summary>
public sealed class ScenarioCase : IXunitSerializable
{
    private string folder = "", file = "", name = "";

    [Obsolete("For xunit's deserialization only.")]
    public ScenarioCase() { }

    private ScenarioCase(string folder, string file, string name) => (this.folder, this.file, this.name) = (folder, file, name);

    /// <summary>
    /// Every pickle of every .feature file below the folder (relative to the test binaries). A file that
    /// does not parse is one case that fails with the parse error, so the other files still run.
    /// </summary>
    public static IEnumerable<ScenarioCase> All(string folder)
    {
        var root = Path.Combine(AppContext.BaseDirectory, folder);
        foreach (var path in Directory.EnumerateFiles(root, "*.feature", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            var file = Path.GetRelativePath(root, path).Replace('\\', '/');
            var feature = FeatureFile.Load(folder, file);
            if (feature.ParseError is not null) yield return new ScenarioCase(folder, file, $"{file} (does not parse)");
            foreach (var name in feature.CaseNames) yield return new ScenarioCase(folder, file, name);
        }
    }

    /// <summary>Runs the scenario; throws when it fails, has an undefined, pending or ambiguous step, or a hook fails.</summary>
    /// <param name="output">Receives Reqnroll's step-by-step trace; steps may inject it.</param>
    /// <param name="register">Puts outside objects into the scenario's container before its hooks run.</param>
    public Task RunAsync(ITestOutputHelper? output = null, Action<IObjectContainer>? register = null) =>
        FeatureFile.Load(folder, file).RunAsync(name, container =>
        {
            if (output is not null) container.RegisterInstanceAs(output);
            register?.Invoke(container);
        });

    public override string ToString() => name;

    void IXunitSerializable.Serialize(IXunitSerializationInfo info)
    {
        info.AddValue(nameof(folder), folder);
        info.AddValue(nameof(file), file);
        info.AddValue(nameof(name), name);
    }

    void IXunitSerializable.Deserialize(IXunitSerializationInfo info)
    {
        folder = info.GetValue<string>(nameof(folder));
        file = info.GetValue<string>(nameof(file));
        name = info.GetValue<string>(nameof(name));
    }
}

/// <summary>A parsed .feature file: its pickles, the AST nodes they came from, and its one <see cref="FeatureInfo"/>.</summary>
internal sealed class FeatureFile
{
    private static readonly ConcurrentDictionary<(string Folder, string File), FeatureFile> Parsed = new();

    // Reqnroll recognises "the same feature" by reference, so each file gets exactly one FeatureInfo.
    private readonly FeatureInfo? info;
    private readonly Dictionary<string, (Messages.Scenario Scenario, Messages.Rule? Rule)> scenarios = [];
    private readonly Dictionary<string, (Messages.Examples Examples, Messages.TableRow Row)> rows = [];
    private readonly Dictionary<string, Messages.Step> steps = [];
    private readonly string file;
    private readonly string[] featureTags = [];

    private FeatureFile(string folder, string file)
    {
        this.file = file;
        try
        {
            using var reader = File.OpenText(Path.Combine(AppContext.BaseDirectory, folder, file));
            var ids = new IncrementingIdGenerator();
            var document = new AstMessagesConverter(ids).ConvertGherkinDocumentToEventArgs(new Gherkin.Parser().Parse(reader), file);
            Pickles = new PickleCompiler(ids).Compile(document);
            if (document.Feature is not { } feature) return;
            featureTags = TagNames(feature.Tags);
            info = new FeatureInfo(CultureInfo.GetCultureInfo(feature.Language), Path.GetDirectoryName(file) ?? "", feature.Name,
                feature.Description, ProgrammingLanguage.CSharp, featureTags);
            foreach (var child in feature.Children)
            {
                Index(child.Background, child.Scenario, null);
                foreach (var ruleChild in child.Rule?.Children ?? []) Index(ruleChild.Background, ruleChild.Scenario, child.Rule);
            }
            CaseNames = UniqueCaseNames();
        }
        catch (Gherkin.ParserException e)
        {
            ParseError = e;
        }
    }

    public IReadOnlyList<Messages.Pickle> Pickles { get; } = [];

    /// <summary>"file / scenario / example values" per pickle, e.g. "tenants.feature / Bad tenant definitions are refused / tier: gold, …".</summary>
    public IReadOnlyList<string> CaseNames { get; } = [];

    public Exception? ParseError { get; }

    public static FeatureFile Load(string folder, string file) => Parsed.GetOrAdd((folder, file), key => new FeatureFile(key.Folder, key.File));

    /// <summary>What generated code does for one test method, from test initialize to test cleanup.</summary>
    public async Task RunAsync(string caseName, Action<IObjectContainer> register)
    {
        if (ParseError is not null) throw new ScenarioFailedException($"{file} does not parse: {ParseError.Message}", ParseError);
        // Found by name, not position: the file may have changed since an IDE listed the tests.
        var index = CaseNames.ToList().IndexOf(caseName);
        if (index < 0) throw new ScenarioFailedException($"{file} has no scenario '{caseName}' (any more); list the tests again.");
        var pickle = Pickles[index];
        var (scenario, rule) = scenarios[pickle.AstNodeIds[0]];
        var examples = pickle.AstNodeIds.Count > 1 ? rows[pickle.AstNodeIds[1]].Examples : null;
        var arguments = new OrderedDictionary();
        foreach (var (key, value) in ExampleValues(pickle)) arguments.Add(key, value);
        var scenarioInfo = new ScenarioInfo(scenario.Name, scenario.Description, [.. TagNames(scenario.Tags), .. TagNames(examples?.Tags ?? [])],
            arguments, [.. featureTags, .. TagNames(rule?.Tags ?? [])], index.ToString(CultureInfo.InvariantCulture));
        var ruleInfo = rule is null ? null : new RuleInfo(rule.Name, rule.Description, TagNames(rule.Tags));

        var runner = TestRunnerManager.GetTestRunnerForAssembly(typeof(FeatureFile).Assembly, featureHint: info);
        try
        {
            // The runner may still hold the feature of the scenario it ran last: finish that one first.
            try
            {
                if (runner.FeatureContext is not null && !ReferenceEquals(runner.FeatureContext.FeatureInfo, info)) await runner.OnFeatureEndAsync();
            }
            finally
            {
                if (runner.FeatureContext?.BeforeFeatureHookFailed == true)
                    throw new ScenarioFailedException($"{file}: not run, because a [BeforeFeature] hook of this feature failed.");
                if (runner.FeatureContext is null) await runner.OnFeatureStartAsync(info!);
            }

            runner.OnScenarioInitialize(scenarioInfo, ruleInfo);
            Exception? failure = null;
            string? failedStep = null;
            try
            {
                register(runner.ScenarioContext.ScenarioContainer);
                await runner.OnScenarioStartAsync();
                foreach (var pickleStep in pickle.Steps)
                {
                    var step = steps[pickleStep.AstNodeIds[0]];
                    var table = ToTable(pickleStep.Argument?.DataTable);
                    var docString = pickleStep.Argument?.DocString?.Content;
                    var wasPassing = runner.ScenarioContext.ScenarioExecutionStatus == ScenarioExecutionStatus.OK;
                    await (pickleStep.Type switch
                    {
                        Messages.PickleStepType.ACTION => runner.WhenAsync(pickleStep.Text, docString, table, step.Keyword),
                        Messages.PickleStepType.OUTCOME => runner.ThenAsync(pickleStep.Text, docString, table, step.Keyword),
                        _ => runner.GivenAsync(pickleStep.Text, docString, table, step.Keyword),
                    });
                    // Reqnroll records a failure and skips the remaining steps; remember where it happened.
                    if (wasPassing && runner.ScenarioContext.ScenarioExecutionStatus != ScenarioExecutionStatus.OK)
                        failedStep = $"{step.Keyword.Trim()} {pickleStep.Text} ({file}:{step.Location.Line})";
                }
                await runner.CollectScenarioErrorsAsync();
            }
            catch (Exception e)
            {
                failure = new ScenarioFailedException(
                    $"{(failedStep is null ? $"Scenario '{pickle.Name}' ({file}:{scenario.Location.Line})" : $"Step {failedStep}")} failed: {e.Message}", e);
            }

            // [AfterScenario] hooks run after a failure too; if one fails as well, report both.
            try
            {
                await runner.OnScenarioEndAsync();
            }
            catch (Exception e) when (failure is not null)
            {
                throw new AggregateException(failure, e);
            }
            if (failure is not null) throw failure;
        }
        finally
        {
            TestRunnerManager.ReleaseTestRunner(runner);
        }
    }

    /// <summary>xunit tells test cases apart by name too, so repeated example rows get " #2", " #3", ….</summary>
    private List<string> UniqueCaseNames()
    {
        var seen = new Dictionary<string, int>();
        return Pickles.Select(pickle =>
        {
            var values = ExampleValues(pickle);
            var name = values.Count == 0 ? $"{file} / {pickle.Name}" : $"{file} / {pickle.Name} / {string.Join(", ", values.Select(v => $"{v.Key}: {v.Value}"))}";
            var count = seen[name] = seen.GetValueOrDefault(name) + 1;
            return count == 1 ? name : $"{name} #{count}";
        }).ToList();
    }

    private void Index(Messages.Background? background, Messages.Scenario? scenario, Messages.Rule? rule)
    {
        foreach (var step in background?.Steps ?? []) steps[step.Id] = step;
        if (scenario is null) return;
        scenarios[scenario.Id] = (scenario, rule);
        foreach (var step in scenario.Steps) steps[step.Id] = step;
        foreach (var examples in scenario.Examples)
        foreach (var row in examples.TableBody)
            rows[row.Id] = (examples, row);
    }

    private List<KeyValuePair<string, string>> ExampleValues(Messages.Pickle pickle)
    {
        if (pickle.AstNodeIds.Count < 2) return [];
        var (examples, row) = rows[pickle.AstNodeIds[1]];
        return examples.TableHeader.Cells.Zip(row.Cells, (header, cell) => KeyValuePair.Create(header.Value, cell.Value)).ToList();
    }

    /// <summary>As generated code builds it: the first row is the header.</summary>
    private static Table? ToTable(Messages.PickleTable? table)
    {
        if (table is null || table.Rows.Count == 0) return null;
        var result = new Table(table.Rows[0].Cells.Select(c => c.Value).ToArray());
        foreach (var row in table.Rows.Skip(1)) result.AddRow(row.Cells.Select(c => c.Value).ToArray());
        return result;
    }

    private static string[] TagNames(IEnumerable<Messages.Tag> tags) => tags.Select(t => t.Name.TrimStart('@')).ToArray();
}

/// <summary>
/// The runtime plugin Reqnroll finds through the assembly attribute at the top of this file: it names the
/// unit-test provider below and sends Reqnroll's trace to the xunit output.
/// </summary>
public sealed class ReqnrollGlue : IRuntimePlugin
{
    private const string ProviderName = "tenantquota-xunit";

    public void Initialize(RuntimePluginEvents runtimePluginEvents, RuntimePluginParameters runtimePluginParameters, UnitTestProviderConfiguration unitTestProviderConfiguration)
    {
        runtimePluginEvents.RegisterGlobalDependencies += (_, e) => e.ObjectContainer.RegisterTypeAs<NothingPassesQuietly, IUnitTestRuntimeProvider>(ProviderName);
        runtimePluginEvents.CustomizeTestThreadDependencies += (_, e) => e.ObjectContainer.RegisterTypeAs<TestOutputTraceListener, ITraceListener>();
        unitTestProviderConfiguration.UseUnitTestProvider(ProviderName);
    }

    /// <summary>
    /// Reqnroll asks the unit-test framework to mark a scenario with an undefined or pending step pending
    /// (or inconclusive, or ignored, as configured). Each of those fails the test here instead.
    /// </summary>
    private sealed class NothingPassesQuietly : IUnitTestRuntimeProvider
    {
        public void TestPending(string message) => throw new ScenarioFailedException(message);

        public void TestInconclusive(string message) => throw new ScenarioFailedException($"Inconclusive: {message}");

        public void TestIgnore(string message) => throw new ScenarioFailedException($"Ignored, which no scenario may be: {message}");

        public ScenarioExecutionStatus? DetectExecutionStatus(Exception exception) => null;
    }

    /// <summary>Reqnroll's trace ("Given …", "-> done: …") into the xunit output of the scenario that is running.</summary>
    private sealed class TestOutputTraceListener(IObjectContainer testThreadContainer) : ITraceListener
    {
        // Resolved late: the context manager itself depends on the tracer that uses this listener.
        private readonly Lazy<IContextManager> contexts = new(testThreadContainer.Resolve<IContextManager>);

        public void WriteTestOutput(string message) => Write(message);

        public void WriteToolOutput(string message) => Write("-> " + message);

        private void Write(string line)
        {
            if (contexts.Value.ScenarioContext?.ScenarioContainer is { } container && container.IsRegistered<ITestOutputHelper>())
                container.Resolve<ITestOutputHelper>().WriteLine(line);
        }
    }
}
