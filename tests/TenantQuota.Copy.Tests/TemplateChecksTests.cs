using NodaTime;
using TenantQuota.Domain;

namespace TenantQuota.Copy.Tests;

/// <summary>How a message is chosen, and how a broken template stops the start with its file, line and column.</summary>
public sealed class TemplateChecksTests : IDisposable
{
    private readonly DirectoryInfo _templates = Directory.CreateTempSubdirectory("tq-templates-");

    public TemplateChecksTests()
    {
        foreach (var locale in new[] { "en", "es" })
        {
            var folder = Directory.CreateDirectory(Path.Combine(_templates.FullName, locale));
            foreach (var file in Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "templates", locale)))
                File.Copy(file, Path.Combine(folder.FullName, Path.GetFileName(file)));
        }
    }

    public void Dispose() => _templates.Delete(recursive: true);

    private string Messages(string locale) => Path.Combine(_templates.FullName, locale, "messages.yaml");

    private string LoadError() => Assert.Throws<InvalidOperationException>(() => QuotaCopy.Load(_templates.FullName, Templates.Matrix)).Message;

    /// <summary>The 1-based line and column of <paramref name="text"/> in a file.</summary>
    private static (int Line, int Column) Position(string path, string text)
    {
        var lines = File.ReadAllLines(path);
        var line = Array.FindIndex(lines, l => l.Contains(text, StringComparison.Ordinal));
        return (line + 1, lines[line].IndexOf(text, StringComparison.Ordinal) + 1);
    }

    private static string PositionOf(string path, string text) => $"{Position(path, text).Line}:{Position(path, text).Column}";

    [Fact]
    public void A_misspelt_name_stops_the_start_naming_file_line_column_and_template()
    {
        var path = Messages("es");
        File.WriteAllText(path, File.ReadAllText(path).Replace("Solo {{ plural remaining {one: 'te queda', other: 'te quedan'} }} {{ remaining | num }}",
            "Solo {{ plural remaining {one: 'te queda', other: 'te quedan'} }} {{ remainig | num }}"));

        var error = LoadError();

        Assert.Contains($"templates{Path.DirectorySeparatorChar}es{Path.DirectorySeparatorChar}messages.yaml:{PositionOf(path, "remainig")}: 'soft_limit title'", error.Replace(_templates.Name, "templates"));
        Assert.Contains("remainig", error);
    }

    [Fact]
    public void A_template_that_does_not_parse_stops_the_start_at_its_line_in_a_folded_body()
    {
        var path = Messages("en");
        File.WriteAllText(path, File.ReadAllText(path).Replace(
            "    or wait: {{ class.other }} come back {{ resets_in }}", "    or wait: {{ class.other }} come back {{ resets_in }"));

        var error = LoadError();

        Assert.Contains("'stop+degrade body'", error);
        var (line, column) = Position(path, "{{ resets_in } (");
        var brace = column + "{{ resets_in ".Length;
        Assert.Contains($"messages.yaml:{line}:{brace}: 'stop+degrade body': Invalid token found `}}`", error); // at the lone brace
    }

    [Fact]
    public void A_tier_class_and_stage_left_without_a_message_stops_the_start()
    {
        var path = Messages("en");
        var text = File.ReadAllText(path);
        var start = text.IndexOf("stop+warn:", StringComparison.Ordinal);
        File.WriteAllText(path, text.Remove(start, text.IndexOf("not_enough_left:", StringComparison.Ordinal) - start));

        var error = LoadError();

        Assert.Contains("no message for stop with action warn in tier free, class background_indexing", error);
        Assert.Contains("no message for stop with action warn in tier pro, class summaries", error);
    }

    [Theory]
    [InlineData("stop+platinum", "'platinum' must be one over-quota action")]
    [InlineData("stop+block+degrade", "names two actions")]
    [InlineData("warning", "starts with a stage")]
    public void A_key_that_names_no_known_situation_stops_the_start(string key, string why)
    {
        File.AppendAllText(Messages("en"), $"\n{key}:\n  title: \"x\"\n  body: \"y\"\n");

        Assert.Contains($"'{key}': {why}", LoadError());
    }

    [Fact]
    public void The_most_specific_message_wins_with_the_action_first_then_class_then_tier()
    {
        File.AppendAllText(Messages("en"), """

            stop+block+free+summaries: { title: "action tier class", body: "b" }
            stop+block+drafts: { title: "action class", body: "b" }
            stop+block+pro: { title: "action tier", body: "b" }
            stop+deep_research: { title: "class, no action", body: "b" }
            nudge+deep_research: { title: "nudge class", body: "b" }
            nudge+team: { title: "nudge tier", body: "b" }
            """);
        var copy = QuotaCopy.Load(_templates.FullName, Templates.Matrix);
        string Title(QuotaStage stage, string tier, string operationClass) => copy.Render(
            new CopySituation(stage, tier, operationClass, Templates.Matrix.Cell(tier, operationClass), 1, 10_000_000, 0, true,
                Instant.FromUtc(2026, 11, 30, 12, 0), Instant.FromUtc(2026, 12, 1, 0, 0).InUtc(), "https://u.example"), "en")!.Title;

        Assert.Equal("action tier class", Title(QuotaStage.Stop, "free", "summaries"));
        Assert.Equal("action tier", Title(QuotaStage.Stop, "pro", "background_indexing"));   // pro/background_indexing blocks
        Assert.StartsWith("You're out of", Title(QuotaStage.Stop, "team", "background_indexing")); // stop+block
        Assert.EndsWith("still work", Title(QuotaStage.Stop, "free", "deep_research"));        // stop+degrade comes before stop+deep_research
        Assert.Equal("nudge class", Title(QuotaStage.Nudge, "team", "deep_research"));         // class before tier
        Assert.Equal("nudge tier", Title(QuotaStage.Nudge, "team", "summaries"));
        Assert.EndsWith("left today", Title(QuotaStage.Nudge, "pro", "summaries"));            // nudge
    }
}
