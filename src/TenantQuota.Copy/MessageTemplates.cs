using Scriban;
using Scriban.Parsing;
using Scriban.Syntax;
using TenantQuota.Domain;
using TenantQuota.Domain.Matrix;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace TenantQuota.Copy;

/// <summary>One message: Scriban templates for its title, body and optional call to action, and where each is in its file.</summary>
internal sealed class MessageTemplate(string key, Template title, Template body, Template? ctaLabel, Template? ctaUrl, Func<Template, SourceSpan, string> locate)
{
    public string Key { get; } = key;
    public Template Title { get; } = title;
    public Template Body { get; } = body;
    public Template? CtaLabel { get; } = ctaLabel;
    public Template? CtaUrl { get; } = ctaUrl;

    /// <summary>"templates/es/messages.yaml:12:40: 'stop+block' body: …" for a failure while rendering.</summary>
    public string Locate(ScriptRuntimeException error)
    {
        var template = new[] { Title, Body, CtaLabel, CtaUrl }.FirstOrDefault(t => t?.SourceFilePath == error.Span.FileName) ?? Body;
        return locate(template, error.Span) + error.OriginalMessage;
    }
}

/// <summary>
/// templates/{locale}/messages.yaml: a message per key. A key is a stage (nudge, soft_limit,
/// final_warning, stop, not_enough_left), then optionally "+" an over-quota action, a tier and a class,
/// e.g. <c>stop+block</c>, <c>stop+degrade+free</c>, <c>nudge+deep_research</c>. The most specific
/// message that fits an answer is used (templates/README.md has the order).
/// </summary>
internal sealed class MessageTemplates
{
    /// <summary>
    /// Refusals that are not about the subject's own cell: a budget spent, a budget kept for higher priorities, a model not
    /// allowed, a person or department held after a usage spike.
    /// </summary>
    public static readonly string[] RefusalKeys = ["budget_stop", "budget_priority", "model_refused", "anomaly_hold"];

    private static readonly string[] Stages = ["nudge", "soft_limit", "final_warning", "stop", "not_enough_left", .. RefusalKeys];
    private readonly Dictionary<(string Stage, string? Action, string? Tier, string? Class), MessageTemplate> _messages = [];

    private MessageTemplates(string source) => Source = source;

    /// <summary>The file, as named in errors.</summary>
    public string Source { get; }

    /// <summary>
    /// The most specific message for an answer: stage with action, tier and class; action and class;
    /// action and tier; action; then the same without the action. Null if none fits.
    /// </summary>
    public MessageTemplate? Find(QuotaStage stage, OverQuotaAction overQuota, string tier, string operationClass)
    {
        var key = QuotaCopy.StageKey(stage);
        var action = overQuota.ToWireName();
        foreach (var a in new[] { action, null })
            foreach (var (t, c) in new[] { (tier, operationClass), (null, operationClass), (tier, null), ((string?)null, (string?)null) })
                if (_messages.TryGetValue((key, a, t, c), out var message)) return message;
        return null;
    }

    /// <summary>The message of a refusal key (<see cref="RefusalKeys"/>), or null.</summary>
    public MessageTemplate? Find(string refusalKey) => _messages.GetValueOrDefault((refusalKey, null, null, null));

    public static MessageTemplates Parse(string path, string source, QuotaMatrix matrix, List<string> errors)
    {
        var templates = new MessageTemplates(source);
        var text = File.ReadAllText(path);
        var lines = text.Split('\n');
        var positions = new Dictionary<Template, YamlScalarNode>(); // where each template is, for errors
        YamlMappingNode root;
        try
        {
            var stream = new YamlStream();
            stream.Load(new StringReader(text));
            root = stream.Documents.FirstOrDefault()?.RootNode as YamlMappingNode ?? new YamlMappingNode();
        }
        catch (YamlException e)
        {
            errors.Add($"{source}:{e.Start.Line}:{e.Start.Column}: {e.Message}");
            return templates;
        }

        foreach (var (keyNode, valueNode) in root.Children)
        {
            var key = ((YamlScalarNode)keyNode).Value ?? "";
            var at = $"{source}:{keyNode.Start.Line}:{keyNode.Start.Column}: '{key}'";
            if (ParseKey(key, matrix) is not ({ } parsed, null) )
            {
                errors.Add($"{at}: {ParseKey(key, matrix).Error}");
                continue;
            }
            if (templates._messages.TryGetValue(parsed, out var earlier))
            {
                errors.Add($"{at}: says the same as '{earlier.Key}'");
                continue;
            }
            if (valueNode is not YamlMappingNode fields)
            {
                errors.Add($"{at}: needs title and body");
                continue;
            }
            var cta = Field(fields, "cta") as YamlMappingNode;
            var unknown = fields.Children.Keys.Select(k => ((YamlScalarNode)k).Value).Where(k => k is not ("title" or "body" or "cta")).ToList();
            if (unknown.Count > 0) errors.Add($"{at}: unknown field(s) {string.Join(", ", unknown)} (a message has title, body and cta)");

            var before = errors.Count;
            var title = Compile(Field(fields, "title"), $"{key} title", required: true);
            var body = Compile(Field(fields, "body"), $"{key} body", required: true);
            var label = cta is null ? null : Compile(Field(cta, "label"), $"{key} cta label", required: true);
            var url = cta is null ? null : Compile(Field(cta, "url"), $"{key} cta url", required: true);
            if (errors.Count == before)
                templates._messages[parsed] = new MessageTemplate(key, title!, body!, label, url, (template, span) => Where(template, span));
            continue;

            Template? Compile(YamlNode? node, string name, bool required)
            {
                if (node is not YamlScalarNode { Value: { Length: > 0 } value } scalar)
                {
                    if (required) errors.Add($"{at}: needs {name.Split(' ', 2)[1]}");
                    return null;
                }
                var template = Template.Parse(value, sourceFilePath: name);
                positions[template] = scalar;
                foreach (var message in template.Messages)
                    errors.Add(Where(template, message.Span) + message.Message);
                return template.HasErrors ? null : template;
            }
        }
        return templates;

        // The file position of a span inside one template: quoted and plain values start on the key's
        // line after the quote; block values (| and >) on the next line, at their indentation.
        string Where(Template template, SourceSpan span)
        {
            var scalar = positions[template];
            int line, column;
            if (scalar.Style is ScalarStyle.Literal or ScalarStyle.Folded)
            {
                // The value is the block's lines without their indentation, each line break one character
                // (a newline, or the space a fold leaves): walk them to the line holding the offset.
                line = (int)scalar.Start.Line + 1;
                var offset = span.Start.Offset;
                while (line < lines.Length && offset > lines[line - 1].Trim().Length)
                {
                    offset -= lines[line - 1].Trim().Length + 1;
                    line++;
                }
                column = lines[line - 1].TakeWhile(ch => ch == ' ').Count() + offset + 1;
            }
            else
            {
                line = (int)scalar.Start.Line + span.Start.Line;
                var quote = scalar.Style is ScalarStyle.SingleQuoted or ScalarStyle.DoubleQuoted ? 1 : 0;
                column = span.Start.Line == 0 ? (int)scalar.Start.Column + quote + span.Start.Column : span.Start.Column + 1;
            }
            return $"{source}:{line}:{column}: '{template.SourceFilePath}': ";
        }
    }

    private static YamlNode? Field(YamlMappingNode node, string name) =>
        node.Children.TryGetValue(new YamlScalarNode(name), out var value) ? value : null;

    /// <summary>A key's stage and narrowing parts, or why it is not a key.</summary>
    private static ((string, string?, string?, string?)? Key, string? Error) ParseKey(string key, QuotaMatrix matrix)
    {
        var parts = key.Split('+');
        if (!Stages.Contains(parts[0])) return (null, $"starts with a stage: {string.Join(", ", Stages)}");
        if (RefusalKeys.Contains(parts[0]) && parts.Length > 1) return (null, $"'{parts[0]}' stands alone (it is not narrowed by action, tier or class)");
        string? action = null, tier = null, operationClass = null;
        foreach (var part in parts.Skip(1))
        {
            var isAction = OverQuotaActions.TryParse(part, out _);
            var isTier = matrix.HasTier(part);
            var isClass = matrix.TryGetClass(part, out _);
            if ((isAction ? 1 : 0) + (isTier ? 1 : 0) + (isClass ? 1 : 0) != 1)
                return (null, $"'{part}' must be one over-quota action (block, degrade, overage, warn), tier or class of the matrix");
            ref var slot = ref isAction ? ref action : ref isTier ? ref tier : ref operationClass;
            if (slot is not null) return (null, $"names two {(isAction ? "actions" : isTier ? "tiers" : "classes")}");
            slot = part;
        }
        return ((parts[0], action, tier, operationClass), null);
    }
}
