using System.Net.Http.Headers;
using System.Text.RegularExpressions;
using NodaTime;
using Scriban;
using Scriban.Runtime;
using TenantQuota.Domain;
using TenantQuota.Domain.Matrix;

namespace TenantQuota.Copy;

public sealed record QuotaMessage(string Severity, string Title, string Body, QuotaCta? Cta);

public sealed record QuotaCta(string Label, string Url);

/// <summary>
/// Everything the copy of one answer is about: where the subject stands (<see cref="Stage"/>), in which
/// cell, what this request asked and was told, and when the window resets in the tenant's time zone.
/// </summary>
public sealed record CopySituation(
    QuotaStage Stage, string Tier, string OperationClass, QuotaCell Cell, long Requested, long Used, long Billable, bool Denied,
    Instant Now, ZonedDateTime ResetsAt, string UpgradeUrl);

/// <summary>
/// A refusal that is not about the subject's own cell: <paramref name="Key"/> is budget_stop (a department's or the
/// tenant's budget is spent), budget_priority (what is left of the tenant budget is kept for higher priorities),
/// model_refused or anomaly_hold (the person or their department held after a usage spike until an administrator clears it); <paramref name="Level"/> the level that refused (department, tenant, or subject for a model);
/// <paramref name="ResetsAt"/> when that level's budget refills.
/// </summary>
public sealed record RefusalSituation(
    string Key, string Level, string OperationClass, string? FallbackClass, string? FallbackModel, string? Model, Instant Now, ZonedDateTime ResetsAt);

/// <summary>
/// End-user quota copy. Per locale, a folder under templates/ holds messages.yaml (Scriban templates for
/// title, body and call to action, keyed by stage and over-quota action, optionally narrowed by tier or
/// class) and words.yaml (<see cref="CopyWords"/>). Everything is parsed, checked against the matrix and
/// rendered once with sample answers at start: a template that does not parse, refers to an unknown
/// name or leaves a tier × class × stage without a message stops the start, naming file, line and column.
/// </summary>
public sealed class QuotaCopy
{
    public const string DefaultLocale = "en";

    private readonly QuotaMatrix _matrix;
    private readonly Dictionary<string, LocaleCopy> _locales;

    private QuotaCopy(QuotaMatrix matrix, Dictionary<string, LocaleCopy> locales) => (_matrix, _locales) = (matrix, locales);

    public IReadOnlyCollection<string> Locales => _locales.Keys;

    /// <summary>The words of a locale (class and tier names, number and date formats).</summary>
    public CopyWords Words(string locale) => _locales[locale].Words;

    public static QuotaCopy Load(string templatesDirectory, QuotaMatrix matrix)
    {
        var errors = new List<string>();
        var locales = new Dictionary<string, LocaleCopy>(StringComparer.Ordinal);
        foreach (var folder in Directory.GetDirectories(templatesDirectory).Order(StringComparer.Ordinal))
        {
            var locale = Path.GetFileName(folder);
            var wordsPath = Path.Combine(folder, "words.yaml");
            var messagesPath = Path.Combine(folder, "messages.yaml");
            if (!File.Exists(wordsPath) || !File.Exists(messagesPath))
            {
                errors.Add($"{Relative(templatesDirectory, folder)}: a locale folder needs words.yaml and messages.yaml");
                continue;
            }
            var words = CopyWords.Parse(File.ReadAllText(wordsPath));
            errors.AddRange(words.Problems(matrix).Select(p => $"{Relative(templatesDirectory, wordsPath)}: {p}"));
            var messages = MessageTemplates.Parse(messagesPath, Relative(templatesDirectory, messagesPath), matrix, errors);
            locales[locale] = new LocaleCopy(words, messages);
        }
        if (!locales.ContainsKey(DefaultLocale)) errors.Add($"{templatesDirectory}: the {DefaultLocale}/ folder is required (the fallback locale)");

        var copy = new QuotaCopy(matrix, locales);
        if (errors.Count == 0) copy.Rehearse(errors);
        if (errors.Count > 0) throw new InvalidOperationException("The quota copy templates are invalid:" + Environment.NewLine + string.Join(Environment.NewLine, errors));
        return copy;
    }

    /// <summary>The message for a situation, or null when there is nothing to say.</summary>
    public QuotaMessage? Render(CopySituation situation, string locale)
    {
        if (situation.Stage == QuotaStage.None) return null;
        var copy = _locales[locale];
        var message = copy.Messages.Find(situation.Stage, situation.Cell.OverQuota, situation.Tier, situation.OperationClass)
                      ?? throw new InvalidOperationException($"No {locale} message for {situation.Stage} in {situation.Tier}/{situation.OperationClass}; Load checks this.");
        var model = Model(situation, copy.Words);
        var severity = QuotaStages.Severity(situation.Stage, situation.Cell.OverQuota, situation.Denied) switch
        {
            NoticeSeverity.Info => "info",
            NoticeSeverity.Warning => "warning",
            _ => "error",
        };
        var label = message.CtaLabel is null ? "" : Render(message.CtaLabel, model, copy);
        var url = message.CtaUrl is null ? "" : Render(message.CtaUrl, model, copy);
        // A call to action whose label or link renders empty (no higher tier, say) is left out.
        var cta = label.Length > 0 && url.Length > 0 ? new QuotaCta(label, url) : null;
        return new QuotaMessage(severity, Render(message.Title, model, copy), Render(message.Body, model, copy), cta);
    }

    /// <summary>The message of a refusal by a budget or a model list (always an error: nothing ran).</summary>
    public QuotaMessage RenderRefusal(RefusalSituation situation, string locale)
    {
        var copy = _locales[locale];
        var message = copy.Messages.Find(situation.Key)
                      ?? throw new InvalidOperationException($"No {locale} message for {situation.Key}; Load checks this.");
        var model = RefusalModel(situation, copy.Words);
        return new QuotaMessage("error", Render(message.Title, model, copy), Render(message.Body, model, copy), Cta: null);
    }

    private static ScriptObject RefusalModel(RefusalSituation s, CopyWords words) => new()
    {
        ["budget"] = s.Level is "department" or "tenant" ? words.Budget(s.Level) : null,
        ["level"] = s.Level,
        ["class"] = Forms(words.Class(s.OperationClass)),
        ["fallback"] = s.FallbackClass is { } fallback ? Forms(words.Class(fallback)) : null,
        ["fallback_model"] = s.FallbackModel,
        ["model"] = s.Model,
        ["resets_in"] = words.Relative(s.Now, s.ResetsAt),
        ["resets_at"] = words.Absolute(s.ResetsAt),
        ["zone"] = s.ResetsAt.Zone.Id,
    };

    /// <summary>The best supported locale for an Accept-Language value: by quality, then header order; the
    /// whole tag first (es-MX), then its language (es); English when nothing fits.</summary>
    public string Negotiate(string? acceptLanguage)
    {
        if (string.IsNullOrEmpty(acceptLanguage)) return DefaultLocale;
        var accepted = new List<StringWithQualityHeaderValue>();
        foreach (var item in acceptLanguage.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            if (StringWithQualityHeaderValue.TryParse(item, out var language)) accepted.Add(language);
        foreach (var language in accepted.OrderByDescending(l => l.Quality ?? 1.0))
        {
            if (language.Quality == 0) continue;
            if (language.Value == "*") break;
            var tag = language.Value.ToLowerInvariant();
            if (_locales.ContainsKey(tag)) return tag;
            if (_locales.ContainsKey(tag.Split('-', 2)[0])) return tag.Split('-', 2)[0];
        }
        return DefaultLocale;
    }

    /// <summary>The next tier that gives more of this class than <paramref name="hardLimit"/> (the tenant's, overrides included), if any: what an upgrade unlocks.</summary>
    public (string Tier, QuotaCell Cell)? NextTier(string tier, string operationClass, long hardLimit)
    {
        foreach (var next in _matrix.Tiers.SkipWhile(t => t != tier).Skip(1))
            if (_matrix.Cell(next, operationClass) is var cell && cell.HardLimit > hardLimit) return (next, cell);
        return null;
    }

    /// <summary>What a template may use. Numbers stay numbers (for comparisons and plurals); <c>num</c> writes them.</summary>
    private ScriptObject Model(CopySituation s, CopyWords words)
    {
        var next = NextTier(s.Tier, s.OperationClass, s.Cell.HardLimit);
        var model = new ScriptObject
        {
            ["stage"] = StageKey(s.Stage),
            ["action"] = s.Cell.OverQuota.ToWireName(),
            ["denied"] = s.Denied,
            ["class"] = Forms(words.Class(s.OperationClass)),
            ["fallback"] = s.Cell.FallbackClass is { } fallback ? Forms(words.Class(fallback)) : null,
            ["used"] = s.Used,
            ["soft_limit"] = s.Cell.SoftLimit,
            ["hard_limit"] = s.Cell.HardLimit,
            ["remaining"] = Math.Max(0, s.Cell.HardLimit - s.Used),
            ["requested"] = s.Requested,
            ["over"] = Math.Max(0, s.Used - s.Cell.HardLimit),
            ["billable"] = s.Billable,
            ["tier"] = words.Tier(s.Tier),
            ["period"] = words.ThisPeriod(s.Cell),
            ["per_period"] = words.PerPeriod(s.Cell),
            ["next_tier"] = next is var (nextTier, nextCell)
                ? new ScriptObject { ["name"] = words.Tier(nextTier), ["hard_limit"] = nextCell.HardLimit, ["per_period"] = words.PerPeriod(nextCell) }
                : null,
            ["resets_in"] = words.Relative(s.Now, s.ResetsAt),
            ["resets_at"] = words.Absolute(s.ResetsAt),
            ["zone"] = s.ResetsAt.Zone.Id,
            ["upgrade_url"] = s.UpgradeUrl,
        };
        return model;
    }

    private static ScriptObject Forms(WordForms forms) => new() { ["one"] = forms.One, ["other"] = forms.Other };

    // A new template context builds every builtin function object again: most of what rendering an answer's copy
    // allocated (about 130 KB per answer, docs/performance.md). Scriban lets a context be reset and reused on the
    // thread that made it, so each thread keeps one; a render that throws leaves its context behind.
    [ThreadStatic] private static TemplateContext? _context;

    private static string Render(Template template, ScriptObject model, LocaleCopy copy)
    {
        // Strict: an unknown name, or a member of something absent, is an error, not an empty string.
        var context = _context ?? new TemplateContext { StrictVariables = true, EnableRelaxedMemberAccess = false, LoopLimit = 100 };
        _context = null;
        context.Reset();
        context.PushGlobal(copy.Functions);
        context.PushGlobal(model);
        var text = template.Render(context);
        context.Reset(); // keeps no model alive
        _context = context;
        return Spaces.Replace(text, " ").Trim(); // an {{ if }} left out leaves no double space behind
    }

    /// <summary>
    /// Renders every message once per tier × class × stage, with and without the optional parts
    /// (a next tier, a fallback, a refusal), so a misspelt name or an unguarded optional fails the
    /// start instead of an end user's request.
    /// </summary>
    private void Rehearse(List<string> errors)
    {
        var now = Instant.FromUtc(2026, 11, 30, 14, 0);
        var resets = Instant.FromUtc(2026, 12, 1, 0, 0).InUtc();
        foreach (var (locale, copy) in _locales)
            foreach (var tier in _matrix.Tiers)
                foreach (var operationClass in _matrix.OperationClasses.Select(c => c.Name))
                    foreach (var stage in Enum.GetValues<QuotaStage>().Where(s => s != QuotaStage.None))
                    {
                        var cell = _matrix.Cell(tier, operationClass);
                        var message = copy.Messages.Find(stage, cell.OverQuota, tier, operationClass);
                        if (message is null)
                        {
                            errors.Add($"{copy.Messages.Source}: no message for {StageKey(stage)} with action {cell.OverQuota.ToWireName()} " +
                                       $"in tier {tier}, class {operationClass} (add '{StageKey(stage)}' or '{StageKey(stage)}+{cell.OverQuota.ToWireName()}')");
                            continue;
                        }
                        if (RehearsalError(message, stage, tier, operationClass, cell, locale, now, resets) is { } error) errors.Add(error);
                    }
        foreach (var (locale, copy) in _locales)
            foreach (var key in MessageTemplates.RefusalKeys)
            {
                if (copy.Messages.Find(key) is not { } message)
                {
                    errors.Add($"{copy.Messages.Source}: no message for {key} (a refusal by a budget, a model list or an anomaly hold)");
                    continue;
                }
                var operationClass = _matrix.OperationClasses[0].Name;
                foreach (var (level, fallbackClass, fallbackModel) in new (string, string?, string?)[]
                             { ("department", null, null), ("tenant", operationClass, null), ("department", null, "m"), ("subject", null, "m") })
                {
                    try
                    {
                        RenderRefusal(new RefusalSituation(key, level, operationClass, fallbackClass, fallbackModel, "model", now, resets), locale);
                    }
                    catch (Scriban.Syntax.ScriptRuntimeException e)
                    {
                        errors.Add(message.Locate(e));
                        break;
                    }
                }
            }
    }

    /// <summary>The first failure of one message over refused and allowed answers below, at and past the limit; one is enough to fix it.</summary>
    private string? RehearsalError(MessageTemplate message, QuotaStage stage, string tier, string operationClass, QuotaCell cell, string locale, Instant now, ZonedDateTime resets)
    {
        foreach (var denied in new[] { false, true })
            foreach (var used in new[] { Math.Max(0, cell.HardLimit - 1), cell.HardLimit, cell.HardLimit + 3 })
            {
                try
                {
                    Render(new CopySituation(stage, tier, operationClass, cell, 4, used, 3, denied, now, resets, "https://example.test/upgrade"), locale);
                }
                catch (Scriban.Syntax.ScriptRuntimeException e)
                {
                    return message.Locate(e);
                }
            }
        return null;
    }

    internal static string StageKey(QuotaStage stage) => stage switch
    {
        QuotaStage.Nudge => "nudge",
        QuotaStage.SoftLimit => "soft_limit",
        QuotaStage.FinalWarning => "final_warning",
        QuotaStage.Stop => "stop",
        QuotaStage.NotEnoughLeft => "not_enough_left",
        _ => throw new ArgumentOutOfRangeException(nameof(stage), stage, null),
    };

    private static string Relative(string root, string path) =>
        Path.Combine(Path.GetFileName(Path.TrimEndingDirectorySeparator(root)), Path.GetRelativePath(root, path));

    private static readonly Regex Spaces = new(" {2,}", RegexOptions.Compiled);

    private sealed class LocaleCopy
    {
        public LocaleCopy(CopyWords words, MessageTemplates messages)
        {
            Words = words;
            Messages = messages;
            Functions = new ScriptObject();
            Functions.Import("num", new Func<long, string>(words.Number));
            Functions.Import("plural", new Func<long, ScriptObject, string>((count, forms) =>
                words.Plural(count, new WordForms(forms["one"]?.ToString() ?? "", forms["other"]?.ToString() ?? ""))));
        }

        public CopyWords Words { get; }
        public MessageTemplates Messages { get; }

        /// <summary>num and plural, in this locale's words.</summary>
        public ScriptObject Functions { get; }
    }
}
