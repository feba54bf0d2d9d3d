using Gherkin;
using Gherkin.Ast;

namespace TenantQuota.Features.Runner;

internal sealed record ScenarioCase(string Name, IReadOnlyList<StepCase> Steps);

/// <summary>A step ready to run: keyword resolved to Given/When/Then and outline values substituted.</summary>
internal sealed record StepCase(StepKind Kind, string Keyword, string Text, int Line, DataTable? Table, string? DocString)
{
    public override string ToString() => $"{Keyword} {Text}";
}

/// <summary>Turns a .feature file into runnable scenarios, much like Gherkin's later "pickles".</summary>
internal static class FeatureFile
{
    public static IReadOnlyList<ScenarioCase> Load(string path)
    {
        using var reader = File.OpenText(path);
        return Parse(reader);
    }

    public static IReadOnlyList<ScenarioCase> Parse(TextReader reader)
    {
        var feature = new Parser().Parse(reader).Feature;
        if (feature is null) return [];
        var dialect = new GherkinDialectProvider().GetDialect(feature.Language, feature.Location);
        var background = feature.Children.OfType<Background>().SelectMany(b => b.Steps).ToList();
        var noValues = new Dictionary<string, string>();

        var cases = new List<ScenarioCase>();
        foreach (var child in feature.Children)
        {
            if (child is Scenario scenario)
            {
                cases.Add(Build(NameOf(scenario), scenario.Steps, noValues));
            }
            else if (child is ScenarioOutline outline)
            {
                foreach (var examples in outline.Examples.Where(e => e.TableHeader is not null))
                foreach (var row in examples.TableBody)
                {
                    var values = examples.TableHeader.Cells.Zip(row.Cells).ToDictionary(p => p.First.Value, p => p.Second.Value);
                    var shown = string.Join(", ", values.Select(v => $"{v.Key}: {v.Value}"));
                    cases.Add(Build($"{Substitute(NameOf(outline), values)} ({shown})", outline.Steps, values));
                }
            }
        }
        return MakeNamesUnique(cases);

        // Background steps are never substituted, matching Gherkin's own compiler.
        ScenarioCase Build(string name, IEnumerable<Step> steps, IReadOnlyDictionary<string, string> values)
        {
            var kind = StepKind.Given;
            var resolved = new List<StepCase>();
            foreach (var step in background) resolved.Add(ToStepCase(step, noValues, ref kind));
            foreach (var step in steps) resolved.Add(ToStepCase(step, values, ref kind));
            return new ScenarioCase(name, resolved);
        }

        StepCase ToStepCase(Step step, IReadOnlyDictionary<string, string> values, ref StepKind previous)
        {
            var keyword = step.Keyword;
            if (!dialect.AndStepKeywords.Contains(keyword) && !dialect.ButStepKeywords.Contains(keyword))
            {
                previous = dialect.GivenStepKeywords.Contains(keyword) ? StepKind.Given
                    : dialect.WhenStepKeywords.Contains(keyword) ? StepKind.When
                    : StepKind.Then;
            }
            var table = step.Argument is Gherkin.Ast.DataTable t
                ? new DataTable(t.Rows.Select(r => r.Cells.Select(c => Substitute(c.Value, values)).ToList()).ToList())
                : null;
            var docString = step.Argument is DocString d ? Substitute(d.Content, values) : null;
            return new StepCase(previous, keyword.Trim(), Substitute(step.Text, values), step.Location.Line, table, docString);
        }
    }

    private static string NameOf(ScenarioDefinition definition) =>
        string.IsNullOrWhiteSpace(definition.Name) ? $"(line {definition.Location.Line})" : definition.Name.Trim();

    private static string Substitute(string text, IReadOnlyDictionary<string, string> values) =>
        values.Aggregate(text, (current, v) => current.Replace($"<{v.Key}>", v.Value));

    /// <summary>xunit finds a test case by its name, so identical names (e.g. repeated example rows) get a suffix.</summary>
    private static List<ScenarioCase> MakeNamesUnique(List<ScenarioCase> cases)
    {
        var seen = new Dictionary<string, int>();
        return cases.Select(c =>
        {
            var count = seen[c.Name] = seen.GetValueOrDefault(c.Name) + 1;
            return count == 1 ? c : c with { Name = $"{c.Name} #{count}" };
        }).ToList();
    }
}
