using System.Text.Json;
using System.Text.Json.Nodes;
using TenantQuota.Domain.Budgets;
using TenantQuota.Domain.Matrix;

namespace TenantQuota.Domain.Governance;

/// <summary>What the detector does about a spike: tell the tenant, or also hold the person or department until cleared.</summary>
public enum AnomalyAction { Notify, Degrade, Block }

/// <summary>
/// A tenant's anomaly policy (docs/decisions/0022): <c>{ "metric": "usd", "minimumVolume": 5, "sensitivity": 4,
/// "action": "block", "levels": ["department", "subject"] }</c>. <paramref name="Metric"/> is usd, tokens or an
/// operation class (its quantity); <paramref name="MinimumVolume"/> is in that metric's counting unit (micro-dollars
/// for usd): an hour below it is never a spike. Degrade refuses every class but <paramref name="FallbackClass"/>.
/// </summary>
public sealed record AnomalyPolicy(string Metric, long MinimumVolume, decimal Sensitivity, AnomalyAction Action, string? FallbackClass,
    IReadOnlyList<QuotaLevel> Levels)
{
    /// <summary>The hold an action places, or null for notify.</summary>
    public AnomalyHold? HoldAt(QuotaLevel level) => Action switch
    {
        AnomalyAction.Degrade => new AnomalyHold(level, FallbackClass),
        AnomalyAction.Block => new AnomalyHold(level, FallbackClass: null),
        _ => null,
    };
}

/// <summary>A spike: the hour's <paramref name="Observed"/> use above <paramref name="Threshold"/>, where the same hour usually sees <paramref name="Expected"/>.</summary>
public sealed record Spike(decimal Observed, decimal Expected, decimal Threshold);

/// <summary>
/// The spike rule, pure: an hour is a spike when its use reaches the policy's minimum volume and exceeds
/// median + k × spread of the same UTC hour on each of the trailing 14 days (days without use count as 0), where
/// spread is the median absolute deviation scaled to a standard deviation (× 1.4826), and never less than a tenth
/// of the median, so that a perfectly steady hour does not call its first small rise a spike.
/// </summary>
public static class Spikes
{
    public const int TrailingDays = 14;
    public const decimal MadToStandardDeviation = 1.4826m;
    public const decimal LeastSpreadOfMedian = 0.1m;

    public static Spike? Evaluate(decimal observed, IReadOnlyList<decimal> sameHourBefore, decimal sensitivity, decimal minimumVolume)
    {
        if (observed < minimumVolume || observed <= 0) return null;
        var median = Median(sameHourBefore);
        var mad = Median(sameHourBefore.Select(v => Math.Abs(v - median)).ToList());
        var spread = Math.Max(MadToStandardDeviation * mad, LeastSpreadOfMedian * median);
        var threshold = median + sensitivity * spread;
        return observed > threshold ? new Spike(observed, median, threshold) : null;
    }

    public static decimal Median(IReadOnlyList<decimal> values)
    {
        if (values.Count == 0) return 0;
        var sorted = values.Order().ToArray();
        var middle = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }
}

/// <summary>The policy as the API reads and writes it; amounts in dollars for usd.</summary>
public static class AnomalyPolicies
{
    private static readonly string[] Fields = ["metric", "minimumVolume", "sensitivity", "action", "fallbackClass", "levels"];
    public const decimal DefaultSensitivity = 4m;
    public const decimal MinSensitivity = 1m;
    public const decimal MaxSensitivity = 20m;
    private const decimal MaxVolume = 1_000_000_000m;

    public static AnomalyPolicy? Parse(JsonElement json, QuotaMatrix matrix, Dictionary<string, string[]> errors)
    {
        if (json.ValueKind != JsonValueKind.Object)
        {
            errors["body"] = ["An object { metric, minimumVolume, sensitivity, action, fallbackClass, levels }."];
            return null;
        }
        var fields = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var field in json.EnumerateObject())
            if (Fields.Contains(field.Name)) fields[field.Name] = field.Value;
            else errors[field.Name] = [$"{field.Name}: not a policy field ({string.Join(", ", Fields)})."];

        var metrics = new[] { Budget.Usd, Budget.Tokens }.Concat(matrix.OperationClasses.Select(c => c.Name)).ToArray();
        var metric = Text(fields, "metric");
        if (metric is null || !metrics.Contains(metric))
            errors["metric"] = [$"metric: what to watch, one of {string.Join(", ", metrics)} (an operation class counts its quantity)."];

        long minimum = 0;
        if (!fields.TryGetValue("minimumVolume", out var volume) || volume.ValueKind != JsonValueKind.Number || !volume.TryGetDecimal(out var wireVolume)
            || wireVolume <= 0 || wireVolume > MaxVolume)
            errors["minimumVolume"] = [$"minimumVolume: the least an hour must use to count as a spike, a number above 0 and up to {MaxVolume:0} (dollars for usd)."];
        else if (metric == Budget.Usd && decimal.Truncate(wireVolume * 1_000_000m) != wireVolume * 1_000_000m)
            errors["minimumVolume"] = ["minimumVolume: dollars with at most six decimals."];
        else if (metric is not null && metric != Budget.Usd && wireVolume != decimal.Truncate(wireVolume))
            errors["minimumVolume"] = [$"minimumVolume: a whole number of {metric}."];
        else minimum = metric == Budget.Usd ? (long)(wireVolume * 1_000_000m) : (long)wireVolume;

        var sensitivity = DefaultSensitivity;
        if (fields.TryGetValue("sensitivity", out var k) && k.ValueKind != JsonValueKind.Null
            && (k.ValueKind != JsonValueKind.Number || !k.TryGetDecimal(out sensitivity) || sensitivity < MinSensitivity || sensitivity > MaxSensitivity))
            errors["sensitivity"] = [$"sensitivity: k in median + k × spread, from {MinSensitivity:0} to {MaxSensitivity:0} (default {DefaultSensitivity:0}); higher flags fewer hours."];

        var actionText = Text(fields, "action") ?? "notify";
        AnomalyAction? action = actionText switch { "notify" => AnomalyAction.Notify, "degrade" => AnomalyAction.Degrade, "block" => AnomalyAction.Block, _ => null };
        if (action is null) errors["action"] = ["action: notify (default), degrade or block."];

        var fallback = Text(fields, "fallbackClass");
        if (fields.TryGetValue("fallbackClass", out var fallbackJson) && fallbackJson.ValueKind is not (JsonValueKind.String or JsonValueKind.Null))
            errors["fallbackClass"] = ["fallbackClass: the name of an operation class."];
        else if (action == AnomalyAction.Degrade && fallback is null)
            errors["fallbackClass"] = ["fallbackClass: action 'degrade' needs the class held people may still use."];
        else if (fallback is not null && action != AnomalyAction.Degrade)
            errors["fallbackClass"] = ["fallbackClass: only with action 'degrade'."];
        else if (fallback is not null && fallback == metric)
            errors["fallbackClass"] = [$"fallbackClass: '{fallback}' is the class being watched: a hold would let the spike go on."];
        else if (fallback is not null && !matrix.TryGetClass(fallback, out _))
            errors["fallbackClass"] = [$"fallbackClass: '{fallback}' is not an operation class ({string.Join(", ", matrix.OperationClasses.Select(c => c.Name))})."];

        var levels = new List<QuotaLevel> { QuotaLevel.Department, QuotaLevel.Subject };
        if (fields.TryGetValue("levels", out var levelsJson) && levelsJson.ValueKind != JsonValueKind.Null)
        {
            levels.Clear();
            if (levelsJson.ValueKind != JsonValueKind.Array || levelsJson.GetArrayLength() == 0)
                errors["levels"] = ["levels: a non-empty list of department and subject."];
            else
                foreach (var item in levelsJson.EnumerateArray())
                {
                    if (item.ValueKind == JsonValueKind.String && BudgetNames.TryParseLevel(item.GetString(), out var level) && level != QuotaLevel.Tenant)
                    {
                        if (!levels.Contains(level)) levels.Add(level);
                    }
                    else errors["levels"] = ["levels: each one of department, subject."];
                }
        }

        if (errors.Count > 0) return null;
        return new AnomalyPolicy(metric!, minimum, sensitivity, action!.Value, fallback, levels.Order().ToList());
    }

    public static JsonObject ToJson(AnomalyPolicy policy) => new()
    {
        ["metric"] = policy.Metric,
        ["minimumVolume"] = ToWire(policy.Metric, policy.MinimumVolume),
        ["sensitivity"] = policy.Sensitivity,
        ["action"] = Name(policy.Action),
        ["fallbackClass"] = policy.FallbackClass,
        ["levels"] = new JsonArray(policy.Levels.Select(l => (JsonNode)JsonValue.Create(l.ToWireName())).ToArray()),
    };

    /// <summary>A policy as stored (written by <see cref="ToJson"/>, so already checked).</summary>
    public static AnomalyPolicy FromStored(string json, QuotaMatrix matrix)
    {
        var errors = new Dictionary<string, string[]>();
        using var document = JsonDocument.Parse(json);
        return Parse(document.RootElement, matrix, errors)
               ?? throw new InvalidOperationException($"A stored anomaly policy no longer parses: {string.Join("; ", errors.SelectMany(e => e.Value))}");
    }

    public static string Name(AnomalyAction action) => action switch
    {
        AnomalyAction.Degrade => "degrade",
        AnomalyAction.Block => "block",
        _ => "notify",
    };

    /// <summary>An amount of the metric as the wire shows it: dollars for usd, else whole units.</summary>
    public static decimal ToWire(string metric, decimal amount) => metric == Budget.Usd ? amount / 1_000_000m : amount;

    private static string? Text(Dictionary<string, JsonElement> fields, string name) =>
        fields.TryGetValue(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
