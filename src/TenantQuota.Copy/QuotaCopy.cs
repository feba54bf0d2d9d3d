using HandlebarsDotNet;
using System.Net.Http.Headers;
using TenantQuota.Domain;
using TenantQuota.Domain.Matrix;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace TenantQuota.Copy;

public sealed record QuotaMessage(string Severity, string Title, string Body, QuotaCta? Cta);

public sealed record QuotaCta(string Label, string Url);

/// <summary>What a template may refer to. Values are plain text: the copy is JSON text, not HTML.</summary>
public sealed record CopyModel(
    string ClassName, string Unit, long Requested, long Used, long SoftLimit, long HardLimit, long Remaining,
    string ResetsAt, string Tier, string? FallbackClassName, string? NextTier, long? NextTierHardLimit, string UpgradeUrl);

/// <summary>
/// End-user quota copy: one Handlebars template set per locale (templates/quota-messages.{locale}.yaml),
/// compiled once at start. A locale missing a notice or a field stops the start, naming the file and key.
/// </summary>
public sealed class QuotaCopy
{
    public const string DefaultLocale = "en";
    private static readonly QuotaNotice[] Notices = Enum.GetValues<QuotaNotice>().Where(n => n != QuotaNotice.None).ToArray();

    private readonly Dictionary<(string Locale, QuotaNotice Notice), CompiledMessage> _messages;

    private QuotaCopy(Dictionary<(string, QuotaNotice), CompiledMessage> messages, IReadOnlyList<string> locales)
    {
        _messages = messages;
        Locales = locales;
    }

    public IReadOnlyList<string> Locales { get; }

    public static QuotaCopy Load(string templatesDirectory)
    {
        // Unresolved names throw, and every template is rendered once below, so a misspelt field
        // stops the start instead of silently rendering as nothing in front of an end user.
        var handlebars = Handlebars.Create(new HandlebarsConfiguration { NoEscape = true, ThrowOnUnresolvedBindingExpression = true });
        var yaml = new DeserializerBuilder().WithNamingConvention(CamelCaseNamingConvention.Instance).Build();
        var messages = new Dictionary<(string, QuotaNotice), CompiledMessage>();
        var errors = new List<string>();
        var locales = new List<string>();

        foreach (var path in Directory.GetFiles(templatesDirectory, "quota-messages.*.yaml").Order(StringComparer.Ordinal))
        {
            var locale = Path.GetFileNameWithoutExtension(path)["quota-messages.".Length..];
            locales.Add(locale);
            var file = yaml.Deserialize<Dictionary<string, MessageFile>?>(File.ReadAllText(path)) ?? [];
            foreach (var notice in Notices)
            {
                var key = NoticeKey(notice);
                if (!file.TryGetValue(key, out var template) || string.IsNullOrWhiteSpace(template?.Title) || string.IsNullOrWhiteSpace(template.Body))
                {
                    errors.Add($"{Path.GetFileName(path)}: '{key}' needs a title and a body");
                    continue;
                }
                try
                {
                    var cta = template.Cta is { Label: { Length: > 0 } label, Url: { Length: > 0 } url }
                        ? (handlebars.Compile(label), handlebars.Compile(url))
                        : ((HandlebarsTemplate<object, object>, HandlebarsTemplate<object, object>)?)null;
                    var compiled = new CompiledMessage(handlebars.Compile(template.Title), handlebars.Compile(template.Body), cta);
                    compiled.RenderWith(SampleModel);
                    compiled.RenderWith(SampleModel with { FallbackClassName = null, NextTier = null, NextTierHardLimit = null });
                    messages[(locale, notice)] = compiled;
                }
                catch (Exception e) // any failure to compile or render a template is a fault in that template
                {
                    errors.Add($"{Path.GetFileName(path)}: '{key}': {e.Message}");
                }
            }
        }
        if (!locales.Contains(DefaultLocale)) errors.Add($"{templatesDirectory}: quota-messages.{DefaultLocale}.yaml is required");
        if (errors.Count > 0) throw new InvalidOperationException("The quota copy templates are invalid: " + string.Join("; ", errors));
        return new QuotaCopy(messages, locales);
    }

    public QuotaMessage? Render(QuotaNotice notice, CopyModel model, string locale)
    {
        if (notice == QuotaNotice.None) return null;
        var message = _messages[(locale, notice)];
        var cta = message.Cta is var (label, url) ? new QuotaCta(label(model), url(model)) : null;
        return new QuotaMessage(SeverityName(notice.Severity()), message.Title(model), message.Body(model), cta);
    }

    /// <summary>The best supported locale for an Accept-Language header value (quality order, then header order).</summary>
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
            var primary = language.Value.Split('-', 2)[0].ToLowerInvariant();
            if (Locales.Contains(primary)) return primary;
        }
        return DefaultLocale;
    }

    /// <summary>The copy model for a class in a tier: counts, reset time and what the next tier unlocks.</summary>
    public static CopyModel Model(QuotaMatrix matrix, string tier, string operationClass, long requested, long used, QuotaCell cell,
        DateTime resetsAt, string? fallbackClass, string upgradeUrl)
    {
        matrix.TryGetClass(operationClass, out var described);
        var next = matrix.Tiers.SkipWhile(t => t != tier).Skip(1)
            .Select(t => (Tier: t, Cell: matrix.Cell(t, operationClass)))
            .FirstOrDefault(t => t.Cell.HardLimit > cell.HardLimit);
        string? fallbackName = fallbackClass is not null && matrix.TryGetClass(fallbackClass, out var fallback) ? fallback.DisplayName : null;
        return new CopyModel(described.DisplayName, described.Unit, requested, used, cell.SoftLimit, cell.HardLimit,
            QuotaRules.Remaining(cell, used), resetsAt.ToString("yyyy-MM-dd HH:mm 'UTC'"), tier, fallbackName,
            next.Tier, next.Tier is null ? null : next.Cell.HardLimit, upgradeUrl);
    }

    public static string NoticeKey(QuotaNotice notice) => notice switch
    {
        QuotaNotice.Nudge => "nudge",
        QuotaNotice.SoftLimit => "softLimit",
        QuotaNotice.HardLimit => "hardLimit",
        QuotaNotice.Overage => "overage",
        QuotaNotice.Blocked => "blocked",
        QuotaNotice.Degraded => "degraded",
        QuotaNotice.NotEnoughLeft => "notEnoughLeft",
        _ => throw new ArgumentOutOfRangeException(nameof(notice), notice, null),
    };

    private static string SeverityName(NoticeSeverity severity) => severity switch
    {
        NoticeSeverity.Info => "info",
        NoticeSeverity.Warning => "warning",
        _ => "error",
    };

    private static readonly CopyModel SampleModel = new("Summaries", "request", 3, 8, 7, 10, 2, "2026-11-23 00:00 UTC", "free",
        "Drafts", "pro", 200, "https://example.test/upgrade");

    private sealed record CompiledMessage(
        HandlebarsTemplate<object, object> Title,
        HandlebarsTemplate<object, object> Body,
        (HandlebarsTemplate<object, object> Label, HandlebarsTemplate<object, object> Url)? Cta)
    {
        public void RenderWith(CopyModel model)
        {
            Title(model);
            Body(model);
            if (Cta is var (label, url)) { label(model); url(model); }
        }
    }

    private sealed class MessageFile
    {
        public string? Title { get; set; }
        public string? Body { get; set; }
        public CtaFile? Cta { get; set; }
    }

    private sealed class CtaFile
    {
        public string? Label { get; set; }
        public string? Url { get; set; }
    }
}
