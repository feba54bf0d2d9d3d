using System.Globalization;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.RegularExpressions;

namespace TenantQuota.Features.Runner;

/// <summary>Thrown for every way a scenario can fail, so the test output leads with the feature file and line.</summary>
public sealed class ScenarioFailedException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>Available in every scenario's container, for hooks and steps that want to log where they are.</summary>
public sealed record ScenarioInfo(string FeatureFile, string ScenarioName);

/// <summary>Runs one scenario of a .feature file as one xunit test case.</summary>
public sealed class ScenarioRunner
{
    private const string ParseErrorScenario = "(feature file does not parse)";

    private readonly BindingRegistry bindings;

    /// <summary>Features from the repository's features/ folder, bindings from the calling assembly's [Binding] classes.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public ScenarioRunner() : this(FindFeaturesDirectory(), BindingRegistry.FromAssembly(Assembly.GetCallingAssembly())) { }

    public ScenarioRunner(string featuresDirectory, BindingRegistry bindings)
    {
        FeaturesDirectory = featuresDirectory;
        this.bindings = bindings;
    }

    public string FeaturesDirectory { get; }

    /// <summary>
    /// Strings only, so xunit can serialize each row and list every scenario as its own test case.
    /// A feature file that fails to parse still yields one case, which fails with the parse error,
    /// rather than breaking discovery of every other scenario.
    /// </summary>
    public static IEnumerable<object[]> AllScenarios(string featuresDirectory)
    {
        foreach (var path in Directory.EnumerateFiles(featuresDirectory, "*.feature", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            var relative = Path.GetRelativePath(featuresDirectory, path).Replace('\\', '/');
            IReadOnlyList<ScenarioCase> scenarios;
            try
            {
                scenarios = FeatureFile.Load(path);
            }
            catch (Exception)
            {
                scenarios = [new ScenarioCase(ParseErrorScenario, [])];
            }
            foreach (var scenario in scenarios) yield return [relative, scenario.Name];
        }
    }

    /// <summary>The features/ folder next to TenantQuota.sln, found by walking up from the test binaries.</summary>
    public static string FindFeaturesDirectory()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "TenantQuota.sln"))) return Path.Combine(dir.FullName, "features");
        }
        throw new DirectoryNotFoundException($"No TenantQuota.sln above {AppContext.BaseDirectory}.");
    }

    /// <param name="featureFile">Relative to <see cref="FeaturesDirectory"/>, as yielded by <see cref="AllScenarios"/>.</param>
    /// <param name="configure">Registers outside objects (e.g. an xunit fixture) into the scenario's container.</param>
    public async Task RunAsync(string featureFile, string scenarioName, Action<ScenarioContainer>? configure = null)
    {
        IReadOnlyList<ScenarioCase> scenarios;
        try
        {
            scenarios = FeatureFile.Load(Path.Combine(FeaturesDirectory, featureFile));
        }
        catch (Exception e) when (e is not IOException)
        {
            throw new ScenarioFailedException($"{featureFile} does not parse: {e.Message}", e);
        }
        var scenario = scenarios.SingleOrDefault(s => s.Name == scenarioName)
            ?? throw new ScenarioFailedException($"{featureFile} has no scenario named '{scenarioName}'. It has: {string.Join(", ", scenarios.Select(s => $"'{s.Name}'"))}.");

        // Binding problems are found before anything runs, so one run reports every missing step at once.
        var problems = new List<string>();
        var bound = scenario.Steps.Select(step => Bind(step, featureFile, problems)).ToList();
        if (problems.Count > 0)
            throw new ScenarioFailedException($"Scenario '{scenarioName}' cannot run:\n\n{string.Join("\n\n", problems)}");

        var failures = new List<Exception>();
        var container = new ScenarioContainer();
        try
        {
            container.Register(new ScenarioInfo(featureFile, scenarioName));
            configure?.Invoke(container);
            foreach (var hook in bindings.BeforeScenario)
            {
                if (failures.Count == 0) await RunHook(hook, "BeforeScenario", container, failures);
            }
            foreach (var (step, binding, arguments) in bound)
            {
                if (failures.Count > 0) break;
                try
                {
                    await Invoke(binding.Method, binding.Method.IsStatic ? null : container.Resolve(binding.BindingType), arguments);
                }
                catch (Exception e)
                {
                    failures.Add(new ScenarioFailedException($"Step failed: {step} ({featureFile}:{step.Line})\n{e.GetType().Name}: {e.Message}", e));
                }
            }
            // Like Reqnroll, clean-up hooks run even after a failure.
            foreach (var hook in bindings.AfterScenario) await RunHook(hook, "AfterScenario", container, failures);
        }
        catch (Exception e)
        {
            failures.Add(e);
        }
        finally
        {
            try
            {
                await container.DisposeAsync();
            }
            catch (Exception e)
            {
                failures.Add(e);
            }
        }

        if (failures.Count == 1) throw failures[0];
        if (failures.Count > 1) throw new AggregateException($"Scenario '{scenarioName}' failed {failures.Count} ways.", failures);
    }

    private (StepCase Step, StepBinding Binding, object?[] Arguments) Bind(StepCase step, string featureFile, List<string> problems)
    {
        var where = $"{step} ({featureFile}:{step.Line})";
        var matches = bindings.Steps.Where(b => b.Kind == step.Kind).Select(b => (Binding: b, Match: b.Regex.Match(step.Text))).Where(m => m.Match.Success).ToList();
        if (matches.Count == 0)
        {
            problems.Add($"No binding for step: {where}\nAdd one to a [Binding] class, for example:\n\n{Snippet(step)}");
            return default;
        }
        if (matches.Count > 1)
        {
            problems.Add($"Ambiguous step: {where} matches {matches.Count} bindings:\n  {string.Join("\n  ", matches.Select(m => m.Binding))}");
            return default;
        }

        var (binding, match) = matches[0];
        var values = match.Groups.Cast<Group>().Skip(1).Select(g => (object?)g.Value).ToList();
        if (step.Table is not null) values.Add(step.Table);
        if (step.DocString is not null) values.Add(step.DocString);
        var parameters = binding.Method.GetParameters();
        if (parameters.Length != values.Count)
        {
            problems.Add($"Binding {binding} takes {parameters.Length} parameter(s) but step {where} supplies {values.Count} (captures, then any table or doc string).");
            return default;
        }
        try
        {
            return (step, binding, parameters.Select((p, i) => values[i] is string s ? Convert(s, p.ParameterType) : values[i]).ToArray());
        }
        catch (Exception e)
        {
            problems.Add($"Step {where} cannot call {binding}: {e.Message}");
            return default;
        }
    }

    private static object? Convert(string value, Type type)
    {
        if (Nullable.GetUnderlyingType(type) is { } underlying) return value.Length == 0 ? null : Convert(value, underlying);
        if (type == typeof(string)) return value;
        if (type.IsEnum) return Enum.Parse(type, value.Trim(), ignoreCase: true);
        try
        {
            return System.Convert.ChangeType(value, type, CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is FormatException or InvalidCastException or OverflowException)
        {
            throw new FormatException($"'{value}' is not a valid {type.Name}.", e);
        }
    }

    private static async Task RunHook(HookBinding hook, string kind, ScenarioContainer container, List<Exception> failures)
    {
        try
        {
            var target = hook.Method.IsStatic ? null : container.Resolve(hook.BindingType);
            await Invoke(hook.Method, target, hook.Method.GetParameters().Select(p => container.Resolve(p.ParameterType)).ToArray());
        }
        catch (Exception e)
        {
            failures.Add(new ScenarioFailedException($"[{kind}] {hook.BindingType.Name}.{hook.Method.Name} failed\n{e.GetType().Name}: {e.Message}", e));
        }
    }

    private static async Task Invoke(MethodInfo method, object? target, object?[] arguments)
    {
        // DoNotWrapExceptions keeps the step's own exception (e.g. an xunit assertion) rather than a TargetInvocationException.
        if (method.Invoke(target, BindingFlags.DoNotWrapExceptions, null, arguments, null) is Task task) await task;
    }

    private static readonly Regex SnippetToken = new("\"(?<string>[^\"]*)\"|(?<![\\w.])(?<number>-?\\d+(?:\\.\\d+)?)(?![\\w.])");

    private static string Snippet(StepCase step)
    {
        var pattern = new StringBuilder();
        var parameters = new List<string>();
        var words = new StringBuilder();
        var position = 0;
        foreach (Match token in SnippetToken.Matches(step.Text))
        {
            Literal(step.Text[position..token.Index]);
            var name = $"p{parameters.Count}";
            if (token.Groups["string"].Success) { pattern.Append("\"(.*)\""); parameters.Add($"string {name}"); }
            else if (token.Value.Contains('.')) { pattern.Append(@"(-?\d+\.\d+)"); parameters.Add($"decimal {name}"); }
            else { pattern.Append(@"(-?\d+)"); parameters.Add($"int {name}"); }
            position = token.Index + token.Length;
        }
        Literal(step.Text[position..]);
        if (step.Table is not null) parameters.Add("DataTable table");
        if (step.DocString is not null) parameters.Add("string docString");

        var attribute = $"[{step.Kind}(@\"^{pattern.ToString().Replace("\"", "\"\"")}$\")]";
        return $"    {attribute}\n    public void {step.Kind}{words}({string.Join(", ", parameters)})\n    {{\n        throw new NotImplementedException();\n    }}";

        void Literal(string text)
        {
            pattern.Append(Regex.Replace(text, @"[\\^$.|?*+()\[\]{}]", @"\$0"));
            foreach (var word in Regex.Matches(text, "[A-Za-z0-9]+").Select(m => m.Value))
                words.Append(char.ToUpperInvariant(word[0])).Append(word[1..]);
        }
    }
}
