using System.Globalization;
using System.Text;
using NodaTime;
using TenantQuota.Domain;
using TenantQuota.Domain.Matrix;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace TenantQuota.Copy;

/// <summary>A word in its singular and plural forms ("summary", "summaries").</summary>
public sealed record WordForms(string One, string Other);

/// <summary>
/// The words and formats of one locale (templates/{locale}/words.yaml): names of classes, tiers and
/// periods, how numbers, dates and times are written, and the relative phrases of a reset ("in 16
/// minutes", "mañana a las 0:00"). All of it is data, so a new locale needs a folder, not code; the
/// formats are ours rather than the platform's, so the copy reads the same on every machine.
/// </summary>
public sealed class CopyWords
{
    private CopyWords(WordsFile file) => _file = file;

    private readonly WordsFile _file;

    public WordForms Class(string operationClass) => _file.Classes[operationClass].ToForms();

    public string Tier(string tier) => _file.Tiers[tier];

    /// <summary>"your team's AI budget": how a person says the budget of a level (department, tenant).</summary>
    public string Budget(string level) => _file.Budgets[level];

    /// <summary>"a day", "al mes", "every 5 hours": what a limit is per, for a cell's reset.</summary>
    public string PerPeriod(QuotaCell cell) => _file.PerPeriod[CadenceKey(cell.Reset)].Replace("{hours}", Number(cell.RollingHours));

    /// <summary>"today", "este mes", "in the last 5 hours": the current window of a cell's reset.</summary>
    public string ThisPeriod(QuotaCell cell) => _file.ThisPeriod[CadenceKey(cell.Reset)].Replace("{hours}", Number(cell.RollingHours));

    /// <summary>The form of <paramref name="forms"/> that goes with <paramref name="count"/>, by the locale's plural rule.</summary>
    public string Plural(long count, WordForms forms) => IsOne(count) ? forms.One : forms.Other;

    /// <summary>A whole number with the locale's group separator ("20,000"; "20.000", but "1234" in Spanish).</summary>
    public string Number(long value)
    {
        var digits = Math.Abs(value).ToString(CultureInfo.InvariantCulture);
        var grouped = new StringBuilder();
        if (digits.Length >= _file.Number.GroupFrom)
            for (var i = 0; i < digits.Length; i++)
            {
                if (i > 0 && (digits.Length - i) % 3 == 0) grouped.Append(_file.Number.Group);
                grouped.Append(digits[i]);
            }
        else grouped.Append(digits);
        return (value < 0 ? "-" : "") + grouped;
    }

    /// <summary>The reset as a person would say it, relative to now: "in 16 minutes", "tomorrow at 12:00 AM", "el lunes a las 0:00".</summary>
    public string Relative(Instant now, ZonedDateTime at)
    {
        var until = at.ToInstant() - now;
        var relative = _file.Relative;
        if (until < Duration.FromMinutes(1)) return relative.Now;
        if (until < Duration.FromHours(1)) return Fill(Pick((long)until.TotalMinutes, relative.Minutes), ("n", Number((long)until.TotalMinutes)));
        if (until < Duration.FromHours(6)) return Fill(Pick((long)until.TotalHours, relative.Hours), ("n", Number((long)until.TotalHours)));
        var days = Period.Between(now.InZone(at.Zone).Date, at.Date, PeriodUnits.Days).Days;
        var template = days switch { <= 0 => relative.Today, 1 => relative.Tomorrow, < 7 => relative.ThisWeek, _ => relative.Later };
        return Fill(template, DateParts(at));
    }

    /// <summary>The reset in full, in the tenant's time zone: "Tuesday, December 1 at 12:00 AM".</summary>
    public string Absolute(ZonedDateTime at) => Fill(_file.DateTime, DateParts(at));

    public static CopyWords Parse(string yaml) => new(Deserializer.Deserialize<WordsFile>(yaml) ?? new WordsFile());

    /// <summary>What this locale lacks for the matrix and the formats: each missing word named, none silently blank.</summary>
    public IEnumerable<string> Problems(QuotaMatrix matrix)
    {
        var f = _file;
        if (f.PluralRule is not ("one-is-1" or "one-is-0-1")) yield return $"plural_rule must be one-is-1 or one-is-0-1, not '{f.PluralRule}'";
        foreach (var c in matrix.OperationClasses.Select(c => c.Name))
            if (!f.Classes.TryGetValue(c, out var forms) || string.IsNullOrWhiteSpace(forms.One) || string.IsNullOrWhiteSpace(forms.Other))
                yield return $"classes.{c} needs one and other";
        foreach (var t in matrix.Tiers)
            if (string.IsNullOrWhiteSpace(f.Tiers.GetValueOrDefault(t))) yield return $"tiers.{t} is missing";
        foreach (var cadence in Enum.GetValues<ResetCadence>().Select(CadenceKey))
        {
            if (string.IsNullOrWhiteSpace(f.PerPeriod.GetValueOrDefault(cadence))) yield return $"per_period.{cadence} is missing";
            if (string.IsNullOrWhiteSpace(f.ThisPeriod.GetValueOrDefault(cadence))) yield return $"this_period.{cadence} is missing";
        }
        foreach (var level in new[] { "department", "tenant" })
            if (string.IsNullOrWhiteSpace(f.Budgets.GetValueOrDefault(level))) yield return $"budgets.{level} is missing";
        if (f.Days.Count != 7) yield return "days needs the 7 weekday names, Sunday first";
        if (f.Months.Count != 12) yield return "months needs the 12 month names, January first";
        if (f.AmPm.Count != 2) yield return "am_pm needs two words (AM, PM)";
        if (string.IsNullOrEmpty(f.Number.Group) || f.Number.GroupFrom < 4) yield return "number needs group and group_from (4 or more digits)";
        foreach (var (name, value) in new[] { ("time", f.Time), ("date", f.Date), ("date_time", f.DateTime), ("relative.now", f.Relative.Now),
                     ("relative.today", f.Relative.Today), ("relative.tomorrow", f.Relative.Tomorrow), ("relative.this_week", f.Relative.ThisWeek), ("relative.later", f.Relative.Later) })
            if (string.IsNullOrWhiteSpace(value)) yield return $"{name} is missing";
        foreach (var (name, forms) in new[] { ("at_time", f.AtTime), ("relative.minutes", f.Relative.Minutes), ("relative.hours", f.Relative.Hours) })
            if (string.IsNullOrWhiteSpace(forms.One) || string.IsNullOrWhiteSpace(forms.Other)) yield return $"{name} needs one and other";
    }

    private bool IsOne(long count) => _file.PluralRule == "one-is-0-1" ? count is 0 or 1 : count == 1;

    private string Pick(long count, FormsFile forms) => IsOne(count) ? forms.One : forms.Other;

    /// <summary>The placeholders a date or time format may use: {weekday} {day} {month} {year} {H} {HH} {h} {mm} {ampm} {time} {at_time} {date}.</summary>
    private (string, string)[] DateParts(ZonedDateTime at)
    {
        var f = _file;
        (string, string)[] clock =
        [
            ("H", at.Hour.ToString(CultureInfo.InvariantCulture)), ("HH", at.Hour.ToString("00", CultureInfo.InvariantCulture)),
            ("h", (at.Hour % 12 == 0 ? 12 : at.Hour % 12).ToString(CultureInfo.InvariantCulture)),
            ("mm", at.Minute.ToString("00", CultureInfo.InvariantCulture)), ("ampm", f.AmPm[at.Hour < 12 ? 0 : 1]),
        ];
        var time = Fill(f.Time, clock);
        (string, string)[] day =
        [
            ("weekday", f.Days[(int)at.DayOfWeek % 7]), ("day", at.Day.ToString(CultureInfo.InvariantCulture)),
            ("month", f.Months[at.Month - 1]), ("year", at.Year.ToString(CultureInfo.InvariantCulture)),
        ];
        var date = Fill(f.Date, day);
        // "a la 1:00" but "a las 0:00" and "a las 13:00": the hour as the time shows it decides the form.
        var shownHour = f.Time.Contains("{h}", StringComparison.Ordinal) ? (at.Hour % 12 == 0 ? 12 : at.Hour % 12) : at.Hour;
        var atTime = Fill(Pick(shownHour, f.AtTime), ("time", time));
        return [.. clock, .. day, ("time", time), ("date", date), ("at_time", atTime)];
    }

    private static string Fill(string template, params (string Name, string Value)[] parts)
    {
        foreach (var (name, value) in parts) template = template.Replace("{" + name + "}", value, StringComparison.Ordinal);
        return template;
    }

    private static string CadenceKey(ResetCadence cadence) => cadence switch
    {
        ResetCadence.Daily => "daily",
        ResetCadence.Weekly => "weekly",
        ResetCadence.Rolling => "rolling",
        _ => "monthly",
    };

    private static readonly IDeserializer Deserializer = new DeserializerBuilder()
        .WithNamingConvention(UnderscoredNamingConvention.Instance).Build();

    // The shape of words.yaml; YamlDotNet fills these, so they are mutable and defaulted.
    private sealed class WordsFile
    {
        public string PluralRule { get; set; } = "";
        public NumberFile Number { get; set; } = new();
        public Dictionary<string, FormsFile> Classes { get; set; } = [];
        public Dictionary<string, string> Tiers { get; set; } = [];
        public Dictionary<string, string> Budgets { get; set; } = [];
        public Dictionary<string, string> PerPeriod { get; set; } = [];
        public Dictionary<string, string> ThisPeriod { get; set; } = [];
        public List<string> Days { get; set; } = [];
        public List<string> Months { get; set; } = [];
        public List<string> AmPm { get; set; } = [];
        public string Time { get; set; } = "";
        public FormsFile AtTime { get; set; } = new();
        public string Date { get; set; } = "";
        public string DateTime { get; set; } = "";
        public RelativeFile Relative { get; set; } = new();
    }

    private sealed class NumberFile
    {
        public string Group { get; set; } = "";
        public int GroupFrom { get; set; }
    }

    private sealed class FormsFile
    {
        public string One { get; set; } = "";
        public string Other { get; set; } = "";
        public WordForms ToForms() => new(One, Other);
    }

    private sealed class RelativeFile
    {
        public string Now { get; set; } = "";
        public FormsFile Minutes { get; set; } = new();
        public FormsFile Hours { get; set; } = new();
        public string Today { get; set; } = "";
        public string Tomorrow { get; set; } = "";
        public string ThisWeek { get; set; } = "";
        public string Later { get; set; } = "";
    }
}
