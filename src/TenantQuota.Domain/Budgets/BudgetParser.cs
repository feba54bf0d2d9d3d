using System.Text.Json;
using System.Text.Json.Nodes;
using TenantQuota.Domain.Matrix;

namespace TenantQuota.Domain.Budgets;

/// <summary>
/// A budget as the API and the database write it: <c>{ "limit": 5000, "unit": "usd", "period": "monthly",
/// "overQuota": "block", "fallbackClass": null, "alertThresholds": [0.7, 0.9, 1.0] }</c>. A dollar limit is
/// dollars with at most six decimals (whole micro-dollars, docs/decisions/0012); any other unit counts whole units.
/// </summary>
public static class BudgetParser
{
    private static readonly string[] Fields = ["limit", "unit", "period", "overQuota", "fallbackClass", "fallbackModel", "alertThresholds"];
    /// <summary>A billion dollars, or 10^15 units: far beyond any budget, far below where sums could overflow.</summary>
    private const decimal MaxUsd = 1_000_000_000m;
    private const long MaxUnits = 1_000_000_000_000_000;
    private const int MaxThresholds = 10;

    /// <summary>
    /// Reads and checks a budget; every problem is added to <paramref name="errors"/> under <paramref name="at"/>.field.
    /// <paramref name="matrix"/> names the units and classes a budget may use, <paramref name="models"/> the models
    /// (the price table's; null when reading what was stored, already checked).
    /// </summary>
    public static Budget? Parse(JsonElement json, QuotaMatrix matrix, string at, Dictionary<string, string[]> errors, IReadOnlyCollection<string>? models = null)
    {
        var before = errors.Count;
        if (json.ValueKind != JsonValueKind.Object)
        {
            errors[at] = [$"{at}: an object {{ limit, unit, period, overQuota, fallbackClass, alertThresholds }}."];
            return null;
        }
        var fields = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var field in json.EnumerateObject())
            if (Fields.Contains(field.Name)) fields[field.Name] = field.Value;
            else errors[$"{at}.{field.Name}"] = [$"{at}.{field.Name}: not a budget field ({string.Join(", ", Fields)})."];

        var units = Units(matrix);
        var unit = Text(fields, "unit");
        if (unit is null || !units.Contains(unit))
            errors[$"{at}.unit"] = [$"{at}.unit: one of {string.Join(", ", units)}."];

        long limit = 0;
        if (!fields.TryGetValue("limit", out var limitJson) || limitJson.ValueKind != JsonValueKind.Number || !limitJson.TryGetDecimal(out var wireLimit) || wireLimit <= 0)
            errors[$"{at}.limit"] = [$"{at}.limit: a number above 0."];
        else if (unit == Budget.Usd)
        {
            if (wireLimit > MaxUsd || decimal.Truncate(wireLimit * 1_000_000m) != wireLimit * 1_000_000m)
                errors[$"{at}.limit"] = [$"{at}.limit: dollars up to {MaxUsd:0} with at most six decimals."];
            else limit = (long)(wireLimit * 1_000_000m);
        }
        else if (unit is not null)
        {
            if (wireLimit != decimal.Truncate(wireLimit) || wireLimit > MaxUnits)
                errors[$"{at}.limit"] = [$"{at}.limit: a whole number of {unit} up to {MaxUnits}."];
            else limit = (long)wireLimit;
        }

        if (!ResetCadences.TryParse(Text(fields, "period"), out var period, out var rollingHours))
            errors[$"{at}.period"] = [$"{at}.period: one of {ResetCadences.WireNames}."];

        var actionText = Text(fields, "overQuota") ?? "block";
        if (!OverQuotaActions.TryParse(actionText, out var action) || action == OverQuotaAction.Overage)
            errors[$"{at}.overQuota"] = [actionText == "overage"
                ? $"{at}.overQuota: a budget does not bill overage (overage is billed per plan cell); use block, degrade or warn."
                : $"{at}.overQuota: one of block, degrade, warn."];

        var fallback = Text(fields, "fallbackClass");
        var fallbackModel = Text(fields, "fallbackModel");
        if (fields.TryGetValue("fallbackModel", out var modelJson) && modelJson.ValueKind is not (JsonValueKind.String or JsonValueKind.Null))
            errors[$"{at}.fallbackModel"] = [$"{at}.fallbackModel: the name of a model of the price table."];
        else if (fallbackModel is not null && models is not null && !models.Contains(fallbackModel))
            errors[$"{at}.fallbackModel"] = [$"{at}.fallbackModel: '{fallbackModel}' is not a model of the price table ({string.Join(", ", models.Order(StringComparer.Ordinal))})."];
        else if (fallbackModel is not null && action != OverQuotaAction.Degrade)
            errors[$"{at}.fallbackModel"] = [$"{at}.fallbackModel: only with overQuota 'degrade'."];
        if (fields.TryGetValue("fallbackClass", out var fallbackJson) && fallbackJson.ValueKind is not (JsonValueKind.String or JsonValueKind.Null))
            errors[$"{at}.fallbackClass"] = [$"{at}.fallbackClass: the name of an operation class."];
        else if (action == OverQuotaAction.Degrade && fallback is null && fallbackModel is null)
            errors[$"{at}.fallbackClass"] = [$"{at}.fallbackClass: overQuota 'degrade' needs a cheaper class (fallbackClass) or a cheaper model (fallbackModel)."];
        else if (fallback is not null && !matrix.TryGetClass(fallback, out _))
            errors[$"{at}.fallbackClass"] = [$"{at}.fallbackClass: '{fallback}' is not an operation class of the matrix."];
        else if (fallback is not null && action != OverQuotaAction.Degrade)
            errors[$"{at}.fallbackClass"] = [$"{at}.fallbackClass: only with overQuota 'degrade'."];

        var thresholds = fields.TryGetValue("alertThresholds", out var thresholdsJson) && thresholdsJson.ValueKind != JsonValueKind.Null
            ? ParseThresholds(thresholdsJson, $"{at}.alertThresholds", errors)
            : [];

        return errors.Count > before ? null : new Budget(limit, unit!, period, action, fallback, thresholds, fallbackModel, rollingHours);
    }

    /// <summary>A budget as stored (it was checked when stored), or null for none.</summary>
    public static Budget? FromStored(string? json, QuotaMatrix matrix)
    {
        if (json is null) return null;
        using var document = JsonDocument.Parse(json);
        if (document.RootElement.ValueKind != JsonValueKind.Object) return null;
        var errors = new Dictionary<string, string[]>();
        return Parse(document.RootElement, matrix, "budget", errors)
            ?? throw new InvalidOperationException($"A stored budget no longer reads: {string.Join("; ", errors.Values.SelectMany(v => v))}");
    }

    /// <summary>The wire form: the limit back in dollars for usd.</summary>
    public static JsonObject ToJson(Budget budget) => new()
    {
        ["limit"] = LimitToWire(budget.Unit, budget.Limit),
        ["unit"] = budget.Unit,
        ["period"] = budget.Period.ToWireName(budget.RollingHours),
        ["overQuota"] = budget.OverQuota.ToWireName(),
        ["fallbackClass"] = budget.FallbackClass,
        ["fallbackModel"] = budget.FallbackModel,
        ["alertThresholds"] = new JsonArray(budget.AlertThresholds.Select(t => (JsonNode)JsonValue.Create(t)).ToArray()),
    };

    /// <summary>An amount of a unit as the wire shows it: dollars for usd (from micro-dollars), the count otherwise.</summary>
    /// <summary>Alert thresholds: up to 10 shares of a limit, each in (0, 1], ascending, each once; a problem goes to errors[at].</summary>
    public static List<decimal> ParseThresholds(JsonElement json, string at, Dictionary<string, string[]> errors)
    {
        if (json.ValueKind != JsonValueKind.Array || json.GetArrayLength() > MaxThresholds
            || json.EnumerateArray().Any(t => t.ValueKind != JsonValueKind.Number || !t.TryGetDecimal(out var v) || v is <= 0 or > 1))
        {
            errors[at] = [$"{at}: up to {MaxThresholds} shares of the limit, each above 0 and at most 1 (e.g. [0.7, 0.9, 1.0])."];
            return [];
        }
        var thresholds = json.EnumerateArray().Select(t => t.GetDecimal()).ToList();
        if (thresholds.Zip(thresholds.Skip(1)).Any(p => p.First >= p.Second)) errors[at] = [$"{at}: in ascending order, each once."];
        return thresholds;
    }

    public static decimal LimitToWire(string unit, long amount) => unit == Budget.Usd ? amount / 1_000_000m : amount;

    /// <summary>What a budget may be counted in: dollars, tokens, or the unit of any operation class.</summary>
    public static IReadOnlyList<string> Units(QuotaMatrix matrix) =>
        new[] { Budget.Usd, Budget.Tokens }.Concat(matrix.OperationClasses.Select(c => c.Unit)).Distinct(StringComparer.Ordinal).ToList();

    private static string? Text(Dictionary<string, JsonElement> fields, string name) =>
        fields.TryGetValue(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

}
