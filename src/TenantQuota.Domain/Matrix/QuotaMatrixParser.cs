using System.Globalization;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace TenantQuota.Domain.Matrix;

/// <summary>A matrix file that cannot be used; every message names the tier, class and field at fault.</summary>
public sealed class QuotaMatrixException(IReadOnlyList<string> errors)
    : Exception("The quota matrix is invalid:" + Environment.NewLine + string.Join(Environment.NewLine, errors.Select(e => "  - " + e)))
{
    public IReadOnlyList<string> Errors { get; } = errors;
}

/// <summary>
/// Reads the versioned quota matrix (YAML) and validates it completely, collecting every problem
/// so that one failed start shows all of them.
/// </summary>
public static partial class QuotaMatrixParser
{
    /// <summary>Upper bound for any limit: far beyond real use, far below overflow when quantities are added.</summary>
    public const long MaxLimit = 1_000_000_000_000;

    [GeneratedRegex(@"^[a-z][a-z0-9_]{0,62}\z")]
    private static partial Regex NamePattern();

    public static QuotaMatrix Parse(string yaml)
    {
        MatrixFile file;
        try
        {
            file = new DeserializerBuilder()
                .WithNamingConvention(CamelCaseNamingConvention.Instance)
                .WithDuplicateKeyChecking()
                .Build()
                .Deserialize<MatrixFile?>(yaml) ?? new MatrixFile();
        }
        catch (YamlException e)
        {
            throw new QuotaMatrixException([$"line {e.Start.Line}, column {e.Start.Column}: {Explain(e)}"]);
        }
        return Validate(file);
    }

    private static QuotaMatrix Validate(MatrixFile file)
    {
        var errors = new List<string>();

        if (string.IsNullOrWhiteSpace(file.Version))
            errors.Add("field 'version': required (for example \"2026-11-01\")");

        var tiers = (file.Tiers ?? []).Select(t => t ?? "").ToList();
        if (tiers.Count == 0) errors.Add("field 'tiers': at least one tier is required");
        foreach (var tier in tiers.Where(t => !NamePattern().IsMatch(t ?? "")))
            errors.Add($"tier '{tier}', field 'tiers': a tier name is lower case letters, digits and '_'");
        foreach (var dup in tiers.GroupBy(t => t).Where(g => g.Count() > 1))
            errors.Add($"tier '{dup.Key}', field 'tiers': listed more than once");

        var classes = new List<OperationClass>();
        foreach (var c in (file.OperationClasses ?? []).Select(c => c ?? new ClassFile()))
        {
            var name = c.Name ?? "";
            if (!NamePattern().IsMatch(name))
                errors.Add($"class '{name}', field 'operationClasses.name': a class name is lower case letters, digits and '_'");
            if (string.IsNullOrWhiteSpace(c.Unit))
                errors.Add($"class '{name}', field 'operationClasses.unit': required (for example 'request')");
            classes.Add(new OperationClass(name, c.Unit ?? "", string.IsNullOrWhiteSpace(c.DisplayName) ? name : c.DisplayName));
        }
        if (classes.Count == 0) errors.Add("field 'operationClasses': at least one operation class is required");
        foreach (var dup in classes.GroupBy(c => c.Name).Where(g => g.Count() > 1))
            errors.Add($"class '{dup.Key}', field 'operationClasses': listed more than once");
        var classNames = classes.Select(c => c.Name).ToHashSet(StringComparer.Ordinal);

        var matrix = file.Matrix ?? [];
        foreach (var tier in matrix.Keys.Where(t => !tiers.Contains(t)))
            errors.Add($"tier '{tier}', field 'matrix': not listed in 'tiers'");

        var cells = new Dictionary<(string, string), QuotaCell>();
        foreach (var tier in tiers.Distinct())
        {
            if (!matrix.TryGetValue(tier, out var row) || row is null)
            {
                errors.Add($"tier '{tier}', field 'matrix': the tier has no row");
                continue;
            }
            foreach (var unknown in row.Keys.Where(k => !classNames.Contains(k)))
                errors.Add($"tier '{tier}', class '{unknown}', field 'matrix': not a declared operation class");
            foreach (var className in classNames)
            {
                if (!row.TryGetValue(className, out var cellFile) || cellFile is null)
                {
                    errors.Add($"tier '{tier}', class '{className}': missing cell (every tier needs a cell for every class)");
                    continue;
                }
                var cell = ValidateCell(tier, className, cellFile, classNames, errors);
                if (cell is not null) cells[(tier, className)] = cell;
            }
        }

        CheckFallbackChains(tiers, classNames, cells, errors);
        var models = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        foreach (var (tier, list) in file.Models ?? [])
        {
            if (!tiers.Contains(tier)) errors.Add($"tier '{tier}', field 'models': not listed in 'tiers'");
            else if (list is not { Count: > 0 } || list.Any(string.IsNullOrWhiteSpace))
                errors.Add($"tier '{tier}', field 'models': a list of model names from the price table (leave the tier out to allow any model)");
            else models[tier] = list.Select(m => m!).Distinct(StringComparer.Ordinal).ToList();
        }
        if (errors.Count > 0) throw new QuotaMatrixException(errors);
        return new QuotaMatrix(file.Version!, tiers.Distinct().ToList(), classes, cells, models);
    }

    /// <summary>
    /// What is wrong with <paramref name="overrides"/> for this matrix, checked as the matrix is: unknown
    /// classes, and for every tier the cell the override makes (limits in range, soft not above hard,
    /// degrade with a fallback class of the matrix, no degrade loop). Empty when they can be used.
    /// </summary>
    public static IReadOnlyList<string> OverrideErrors(QuotaMatrix matrix, IReadOnlyDictionary<string, CellOverride> overrides)
    {
        var errors = new List<string>();
        var classNames = matrix.OperationClasses.Select(c => c.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var unknown in overrides.Keys.Where(k => !classNames.Contains(k)))
            errors.Add($"class '{unknown}': not an operation class of the matrix");
        var cells = new Dictionary<(string, string), QuotaCell>();
        foreach (var tier in matrix.Tiers)
            foreach (var className in classNames)
            {
                var cell = matrix.Cell(tier, className, overrides);
                if (!overrides.ContainsKey(className)) { cells[(tier, className)] = cell; continue; }
                var file = new CellFile
                {
                    SoftLimit = cell.SoftLimit.ToString(CultureInfo.InvariantCulture), HardLimit = cell.HardLimit.ToString(CultureInfo.InvariantCulture),
                    Reset = cell.ResetName, OverQuota = cell.OverQuota.ToWireName(), FallbackClass = cell.FallbackClass,
                    Burst = cell.Burst == 0 ? null : cell.Burst.ToString(CultureInfo.InvariantCulture),
                };
                if (ValidateCell(tier, className, file, classNames, errors) is { } valid) cells[(tier, className)] = valid;
            }
        CheckFallbackChains(matrix.Tiers, classNames, cells, errors);
        return errors.Distinct().ToList();
    }

    private static QuotaCell? ValidateCell(string tier, string className, CellFile cell, HashSet<string> classNames, List<string> errors)
    {
        var at = $"tier '{tier}', class '{className}', field";
        var before = errors.Count;
        var soft = ParseLimit(cell.SoftLimit, $"{at} 'softLimit'", errors);
        var hard = ParseLimit(cell.HardLimit, $"{at} 'hardLimit'", errors);
        if (soft is not null && hard is not null && soft > hard)
            errors.Add($"{at} 'softLimit': {soft} is above hardLimit {hard}");
        if (!ResetCadences.TryParse(cell.Reset, out var reset, out var rollingHours))
            errors.Add($"{at} 'reset': '{cell.Reset}' is not one of {ResetCadences.WireNames}");
        var actionKnown = OverQuotaActions.TryParse(cell.OverQuota, out var action);
        if (!actionKnown)
            errors.Add($"{at} 'overQuota': '{cell.OverQuota}' is not one of block, degrade, overage, warn");

        var fallback = string.IsNullOrWhiteSpace(cell.FallbackClass) ? null : cell.FallbackClass;
        if (actionKnown && action == OverQuotaAction.Degrade)
        {
            if (fallback is null)
                errors.Add($"{at} 'fallbackClass': required when overQuota is 'degrade'");
            else if (!classNames.Contains(fallback))
                errors.Add($"{at} 'fallbackClass': '{fallback}' is not a declared operation class");
            else if (fallback == className)
                errors.Add($"{at} 'fallbackClass': a class cannot fall back to itself");
        }
        else if (actionKnown && fallback is not null)
        {
            errors.Add($"{at} 'fallbackClass': only allowed when overQuota is 'degrade'");
        }

        long burst = 0;
        if (cell.Burst is not null)
        {
            if (ParseLimit(cell.Burst, $"{at} 'burst'", errors) is { } parsedBurst) burst = parsedBurst;
            if (burst > 0 && actionKnown && !action.Enforces())
                errors.Add($"{at} 'burst': only with overQuota 'block' or 'degrade' (the others never refuse)");
        }

        return errors.Count == before ? new QuotaCell(soft!.Value, hard!.Value, reset, action, fallback, rollingHours, burst) : null;
    }

    private static long? ParseLimit(string? text, string at, List<string> errors)
    {
        if (text is null)
        {
            errors.Add($"{at}: required");
            return null;
        }
        if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value > MaxLimit)
        {
            errors.Add($"{at}: '{text}' is not a whole number between 0 and {MaxLimit}");
            return null;
        }
        return value;
    }

    /// <summary>A degrade chain that loops back would send callers in circles, so it is rejected.</summary>
    private static void CheckFallbackChains(
        IEnumerable<string> tiers, HashSet<string> classNames, Dictionary<(string, string), QuotaCell> cells, List<string> errors)
    {
        foreach (var tier in tiers.Distinct())
        foreach (var start in classNames)
        {
            var seen = new HashSet<string> { start };
            var current = start;
            while (cells.GetValueOrDefault((tier, current)) is { OverQuota: OverQuotaAction.Degrade, FallbackClass: { } next })
            {
                if (!seen.Add(next))
                {
                    errors.Add($"tier '{tier}', class '{start}', field 'fallbackClass': the degrade chain loops back to '{next}'");
                    break;
                }
                current = next;
            }
        }
    }

    /// <summary>YamlDotNet's messages name our private file types; say what the author of the file needs to know.</summary>
    private static string Explain(YamlException e)
    {
        var message = e.InnerException?.Message ?? e.Message;
        var unknown = Regex.Match(message, @"^Property '(?<name>[^']+)' not found on type '[^']*\+(?<type>\w+)File'");
        if (unknown.Success)
        {
            var allowed = unknown.Groups["type"].Value switch
            {
                "Cell" => "softLimit, hardLimit, reset, overQuota, fallbackClass",
                "Class" => "name, unit, displayName",
                _ => "version, tiers, operationClasses, matrix",
            };
            return $"unknown field '{unknown.Groups["name"].Value}' (allowed here: {allowed})";
        }
        return message.StartsWith("Operation is not valid", StringComparison.Ordinal)
            ? "the YAML is malformed here (an unclosed bracket or quote, or bad indentation)"
            : message;
    }

    // The file's shape. Numbers are read as text so that a bad value gets a message naming its cell.
    private sealed class MatrixFile
    {
        public string? Version { get; set; }
        public List<string?>? Tiers { get; set; }
        public List<ClassFile?>? OperationClasses { get; set; }
        public Dictionary<string, Dictionary<string, CellFile?>?>? Matrix { get; set; }
        public Dictionary<string, List<string?>?>? Models { get; set; }
    }

    private sealed class ClassFile
    {
        public string? Name { get; set; }
        public string? Unit { get; set; }
        public string? DisplayName { get; set; }
    }

    private sealed class CellFile
    {
        public string? SoftLimit { get; set; }
        public string? HardLimit { get; set; }
        public string? Reset { get; set; }
        public string? OverQuota { get; set; }
        public string? FallbackClass { get; set; }
        public string? Burst { get; set; }
    }
}
