using TenantQuota.Features.Runner;

namespace TenantQuota.Features.RunnerTests;

/// <summary>Injected into test bindings from outside, so each test can see what ran.</summary>
public sealed class Log
{
    public List<string> Entries { get; } = [];
    public void Add(string entry) => Entries.Add(entry);
}

/// <summary>A throw-away features folder, so these tests never read the product's features/.</summary>
public sealed class FeatureFolder : IDisposable
{
    public FeatureFolder(params (string Path, string Text)[] files)
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("runner-tests-").FullName;
        foreach (var (path, text) in files)
        {
            var full = System.IO.Path.Combine(Directory, path);
            System.IO.Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
            File.WriteAllText(full, text);
        }
    }

    public string Directory { get; }

    /// <summary>Test bindings carry no [Binding] attribute and are only ever given explicitly.</summary>
    public ScenarioRunner Runner(params Type[] bindings) => new(Directory, BindingRegistry.FromTypes(bindings));

    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);

    /// <summary>Runs one scenario of a single-file feature and returns what the bindings logged.</summary>
    public static async Task<List<string>> RunAsync(string featureText, string scenario, params Type[] bindings)
    {
        var log = new Log();
        await RunAsync(log, featureText, scenario, bindings);
        return log.Entries;
    }

    public static async Task RunAsync(Log log, string featureText, string scenario, params Type[] bindings)
    {
        using var folder = new FeatureFolder(("test.feature", featureText));
        await folder.Runner(bindings).RunAsync("test.feature", scenario, c => c.Register(log));
    }
}

public sealed class RecordingSteps(Log log)
{
    [Given(@"^given (.*)$")]
    public void Given(string what) => log.Add($"Given {what}");

    [When(@"^when (.*)$")]
    public void When(string what) => log.Add($"When {what}");

    [Then(@"^then (.*)$")]
    public void Then(string what) => log.Add($"Then {what}");

    [Given(@"^a table$")]
    public void Table(DataTable table) =>
        log.Add(string.Join("; ", table.Rows.Select(row => string.Join(",", table.Header.Select(h => $"{h}={row[h]}")))));

    [Given(@"^a doc string$")]
    public void DocString(string text) => log.Add(text);

    [When(@"^it fails$")]
    public void Fails() => throw new InvalidOperationException("boom");

    [Then(@"^(\d+) equals (\d+)$")]
    public void Equal(int expected, int actual) => Assert.Equal(expected, actual);
}
